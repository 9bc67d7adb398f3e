// Checking a photo in the browser before it is uploaded: what it really is (by its first bytes, not its name),
// how big it is in bytes and in pixels, then decoding it for display: by the browser when it can, else (TIFF, or a
// file the browser fails to decode) as a PNG preview made by the server. Each refusal is a PhotoError (or the
// server's ApiError) whose title and message can be shown to a person as they are.

import { formatBytes } from "./ui.js";

const HEAD_BYTES = 256 * 1024; // enough to reach a JPEG's frame header past a large EXIF block

/** A photo this page will not upload, with a short `title` and a `message` saying what to do instead. */
export class PhotoError extends Error {
  constructor(title, message) {
    super(message);
    this.title = title;
  }
}

export function formatMegapixels(n) {
  return `${(n / 1e6).toFixed(1)} megapixels`;
}

const ACCEPTED = "PNG, JPEG, WebP or TIFF";

// Formats always shown through the server's preview. Browsers other than Safari cannot decode TIFF at all, and
// Safari may turn or colour a 16-bit, CMYK or oriented scan differently from the repair job; the server's preview
// is decoded exactly as the job decodes the photo, so the mask painted on it has the job's pixel grid.
const PREVIEWED = new Set(["tiff"]);
// Image formats neither the server nor this page takes.
const REFUSED = { gif: "GIF", bmp: "BMP", avif: "AVIF", heic: "HEIC", ico: "ICO", svg: "SVG" };

const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32le = (b, i) => (u24le(b, i) + ((b[i + 3] << 24) >>> 0)) >>> 0;
const u32be = (b, i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const ascii = (b, i, n) => String.fromCharCode(...b.subarray(i, i + n));

/** The format named by a file's first bytes, and its size in pixels when the header says so (else null). */
export function sniff(bytes) {
  const b = bytes;
  if (b.length >= 24 && u32be(b, 0) === 0x89504e47 && u32be(b, 4) === 0x0d0a1a0a) {
    return { format: "png", width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { format: "jpeg", ...jpegSize(b) };
  if (b.length >= 30 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") {
    return { format: "webp", ...webpSize(b) };
  }
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) ||
                        (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42))) {
    return { format: "tiff", ...tiffSize(b) };
  }
  if (b.length >= 10 && ascii(b, 0, 4) === "GIF8") return { format: "gif" };
  if (b.length >= 2 && ascii(b, 0, 2) === "BM") return { format: "bmp" };
  if (b.length >= 12 && ascii(b, 4, 4) === "ftyp") {
    const brand = ascii(b, 8, 4);
    return { format: brand.startsWith("avi") ? "avif" : brand.startsWith("he") ? "heic" : "unknown" };
  }
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return { format: "ico" };
  const start = ascii(b, 0, Math.min(b.length, 256)).trimStart().toLowerCase();
  if (start.startsWith("<svg") || (start.startsWith("<?xml") && start.includes("<svg"))) return { format: "svg" };
  return { format: "unknown" };
}

function jpegSize(b) {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return { width: null, height: null };
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; } // fill byte
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { height: u16be(b, i + 5), width: u16be(b, i + 7) };
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    i += 2 + u16be(b, i + 2);
  }
  return { width: null, height: null };
}

/** ImageWidth and ImageLength from a TIFF's first directory, when it lies within the bytes read. */
function tiffSize(b) {
  const le = b[0] === 0x49;
  const u16 = (i) => (le ? u16le(b, i) : u16be(b, i));
  const u32 = (i) => (le ? u32le(b, i) : u32be(b, i));
  const size = { width: null, height: null };
  if (b.length < 8) return size;
  const ifd = u32(4);
  if (ifd + 2 > b.length) return size; // the directory is often written after the pixels
  for (let k = 0, n = u16(ifd); k < n && ifd + 14 + 12 * k <= b.length; k++) {
    const entry = ifd + 2 + 12 * k;
    const tag = u16(entry);
    const type = u16(entry + 2); // 3 = SHORT, 4 = LONG
    const value = type === 3 ? u16(entry + 8) : type === 4 ? u32(entry + 8) : null;
    if (tag === 256) size.width = value;
    else if (tag === 257) size.height = value;
  }
  return size;
}

function webpSize(b) {
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8 ") return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  if (chunk === "VP8L") {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8X") return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  return { width: null, height: null };
}

/** Decodes an image file for display; resolves with the loaded <img> (object URL kept as its src). */
export function decodeImage(blob) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(blob);
    const img = new Image();
    img.decoding = "async";
    img.onload = () => {
      // decode() may refuse a very large image; having loaded is enough to show it
      img.decode().then(() => resolve(img), () => resolve(img));
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error("undecodable"));
    };
    img.src = url;
  });
}

/**
 * Checks a photo against the server's limits before it is sent, then decodes it. Resolves with
 * `{file, name, format, width, height, img, previewed}`: img.src is an object URL for what to show, the file itself
 * or, when `previewed`, the PNG that `preview(file, name)` (a Promise of a Blob: the server's preview) returned.
 * `file` stays the original, to be uploaded as it is. Rejects with a PhotoError, or whatever `preview` threw.
 */
export async function readPhoto(file, { maxBytes, maxPixels, what = "photo", preview = null }) {
  const name = file.name || `pasted ${what}`;
  if (file.size === 0) {
    throw new PhotoError("The file is empty", `${name} has no content at all. Choose another ${what}.`);
  }
  if (file.type && !file.type.startsWith("image/")) {
    throw new PhotoError("Not an image", `${name} is not an image (it is ${file.type}). Choose a ${ACCEPTED} ${what}.`);
  }
  if (file.size > maxBytes) {
    const size = formatBytes(file.size);
    const limit = formatBytes(maxBytes);
    const over = size === limit ? `is just over the server's limit of ${limit}`
      : `is ${size}, over the server's limit of ${limit}`;
    throw new PhotoError("Too large", `${name} ${over}. Save it smaller or as JPEG, then try again.`);
  }
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const info = sniff(head);
  if (info.format in REFUSED) {
    throw new PhotoError("Format not supported",
      `${name} is a ${REFUSED[info.format]} image; the server takes ${ACCEPTED}. Save it as PNG and try again.`);
  }
  if (info.format === "unknown") {
    throw new PhotoError("Not an image",
      `${name} does not contain a ${ACCEPTED} image, whatever its name says. Choose a ${what} file.`);
  }
  if (info.width && info.height && info.width * info.height > maxPixels) {
    throw new PhotoError("Too many pixels",
      `${name} is ${info.width}×${info.height} (${formatMegapixels(info.width * info.height)}); the server ` +
      `accepts up to ${formatMegapixels(maxPixels)}. Scale it down, or repair it in parts.`);
  }
  let img = null;
  if (!PREVIEWED.has(info.format)) {
    try {
      img = await decodeImage(file);
    } catch {
      // The browser cannot decode it (an unusual variant, or a broken file): the server may, else it says why.
    }
  }
  const previewed = img === null;
  if (previewed) {
    if (!preview) {
      throw new PhotoError("Can't read this image",
        `${name} looks like a ${info.format.toUpperCase()} file but could not be decoded; it may be truncated or ` +
        "corrupt. Export it again and retry.");
    }
    const png = await preview(file, name);
    try {
      img = await decodeImage(png);
    } catch {
      throw new PhotoError("Can't show this image", `The preview of ${name} could not be shown. Try again.`);
    }
  }
  const width = img.naturalWidth; // after EXIF orientation, as the server counts it
  const height = img.naturalHeight;
  if (width * height > maxPixels) {
    URL.revokeObjectURL(img.src);
    throw new PhotoError("Too many pixels",
      `${name} is ${width}×${height} (${formatMegapixels(width * height)}); the server accepts up to ` +
      `${formatMegapixels(maxPixels)}.`);
  }
  return { file, name, format: info.format, width, height, img, previewed };
}
