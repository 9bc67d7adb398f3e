"""Reading users' photos and writing results: every real-world file shape in, a faithful PNG out.

In:  PNG, JPEG, WebP, TIFF; 8 or 16 bits; grayscale, RGB, RGBA, palette, CMYK; EXIF orientation applied.
Out: PNG at the source's bit depth (8 or 16), grayscale if the source was, alpha and ICC profile carried over,
     provenance in a text chunk. For the browser: an 8-bit sRGB PNG preview on the same pixel grid.
Every failure is a domain error with a message a person can act on; nothing here decodes a file whose header
already says it is too big (decompression bombs are refused before any pixel is read).
"""

from __future__ import annotations

import functools
import io
import json
import struct
import warnings
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

import atelier
from atelier.errors import BadInput, TooLarge
from worker.images import PROVENANCE_KEY

FORMATS = {"PNG", "JPEG", "MPO", "WEBP", "TIFF"}
_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


@dataclass
class Photo:
    rgb: np.ndarray  # (H, W, 3) float32 in [0, 1]; grayscale sources are replicated to 3 channels
    alpha: np.ndarray | None  # (H, W) float32 in [0, 1], or None when the source had no transparency
    grayscale: bool  # the source was grayscale: the result is written back as grayscale
    bit_depth: int  # 8 or 16: the result is written at the same depth
    icc_profile: bytes | None  # carried to the output unchanged (None after a CMYK -> sRGB conversion)
    source_format: str

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]  # (W, H)


def _open(data: bytes, max_pixels: int, what: str) -> Image.Image:
    if not data:
        raise BadInput(f"The {what} file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we apply our own, lower limit
            img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise TooLarge(f"The {what} is too large: far over the limit of {max_pixels / 1e6:.0f} megapixels.") from exc
        raise BadInput(f"The {what} is not an image we can read (PNG, JPEG, WebP or TIFF).") from exc
    if img.format not in FORMATS:
        raise BadInput(f"The {what} is {img.format}; use PNG, JPEG, WebP or TIFF.")
    w, h = img.size
    if w * h > max_pixels:
        raise TooLarge(f"The {what} is {w}×{h} = {w * h / 1e6:.1f} megapixels; the limit is "
                       f"{max_pixels / 1e6:.0f} megapixels.")
    if w < 1 or h < 1:
        raise BadInput(f"The {what} has no pixels.")
    return img


def _load(img: Image.Image, what: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img.load()
    except (OSError, ValueError, SyntaxError, struct.error, zlib.error) as exc:
        raise BadInput(f"The {what} file is truncated or corrupt.") from exc


def _is_16bit_colour(img: Image.Image) -> bool:
    # Pillow keeps 16-bit RGB(A) PNG/TIFF only as 8 bits; the tile's raw mode tells the true depth.
    rawmode = img.tile[0][3] if img.tile else ""
    rawmode = rawmode[0] if isinstance(rawmode, tuple) else rawmode
    return img.mode in ("RGB", "RGBA") and isinstance(rawmode, str) and "16" in rawmode


def _decode_16bit_colour(data: bytes, orientation: int) -> np.ndarray:
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint16 or arr.ndim != 3:
        raise BadInput("The 16-bit image could not be decoded.")
    arr = arr[..., [2, 1, 0, 3][: arr.shape[2]]]  # BGR(A) -> RGB(A)
    # Apply EXIF orientation by the same table Pillow uses (ImageOps.exif_transpose).
    ops = {2: [np.fliplr], 3: [lambda a: np.rot90(a, 2)], 4: [np.flipud], 5: [lambda a: np.rot90(a, 1), np.flipud],
           6: [lambda a: np.rot90(a, -1)], 7: [lambda a: np.rot90(a, -1), np.flipud], 8: [lambda a: np.rot90(a, 1)]}
    for op in ops.get(orientation, []):
        arr = op(arr)
    return np.ascontiguousarray(arr).astype(np.float32) / 65535.0


@functools.cache
def _cv2_orients_tiff() -> bool:
    """Whether cv2.imdecode applies a TIFF's orientation tag itself (OpenCV 5 does, even with IMREAD_UNCHANGED;
    4.x leaves it to us). Asked once, of a 2×1 mirrored TIFF, so that no photo is turned twice or not at all."""
    import cv2

    buf = io.BytesIO()
    Image.fromarray(np.array([[[255, 0, 0], [0, 0, 255]]], np.uint8)).save(buf, format="TIFF", tiffinfo={0x0112: 2})
    first = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_UNCHANGED)[0, 0]  # BGR
    return bool(first[0] == 255)  # the blue pixel came first: cv2 mirrored it


def probe_photo(data: bytes, *, max_pixels: int) -> tuple[int, int]:
    """Validate a photo completely (format, size, every byte decodes) without converting it; -> (W, H) as
    displayed, i.e. after EXIF orientation."""
    img = _open(data, max_pixels, "image")
    _load(img, "image")
    w, h = img.size
    return (h, w) if img.getexif().get(0x0112, 1) in (5, 6, 7, 8) else (w, h)


def decode_photo(data: bytes, *, max_pixels: int) -> Photo:
    img = _open(data, max_pixels, "image")
    fmt = img.format or "?"
    icc = img.info.get("icc_profile") or None
    if _is_16bit_colour(img):
        orientation = img.getexif().get(0x0112, 1)
        if fmt == "TIFF" and _cv2_orients_tiff():
            orientation = 1  # already applied by the decoder: turning it again would undo it
        arr = _decode_16bit_colour(data, orientation)
        alpha = arr[..., 3] if arr.shape[2] == 4 else None
        return Photo(rgb=arr[..., :3].copy(), alpha=alpha, grayscale=False, bit_depth=16, icc_profile=icc,
                     source_format=fmt)
    _load(img, "image")
    img = ImageOps.exif_transpose(img)
    mode = img.mode
    if mode in ("P", "PA"):
        img = img.convert("RGBA" if ("transparency" in img.info or mode == "PA") else "RGB")
    elif mode == "CMYK":
        img = _cmyk_to_srgb(img, icc)
        icc = None  # now sRGB
    elif mode in ("1", "La"):
        img = img.convert("LA" if mode == "La" else "L")
    elif mode not in _GRAY_MODES | {"RGB", "RGBA"}:
        img = img.convert("RGBA" if "A" in mode else "RGB")
    mode = img.mode

    alpha = None
    if mode in ("LA", "RGBA"):
        alpha = np.asarray(img.getchannel("A"), dtype=np.float32) / 255.0
    if mode in _GRAY_MODES:
        arr = np.asarray(img.getchannel(0) if mode == "LA" else img)
        if arr.dtype == np.uint8:
            gray, depth = arr.astype(np.float32) / 255.0, 8
        elif mode == "F":
            gray, depth = np.clip(arr.astype(np.float32), 0.0, 1.0), 16
        else:  # I;16 and I (Pillow widens 16-bit grayscale to 32-bit integers)
            gray, depth = np.clip(arr.astype(np.float32) / 65535.0, 0.0, 1.0), 16
        rgb = np.repeat(gray[..., None], 3, axis=2)
        return Photo(rgb=rgb, alpha=alpha, grayscale=True, bit_depth=depth, icc_profile=icc, source_format=fmt)
    rgb = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return Photo(rgb=rgb, alpha=alpha, grayscale=False, bit_depth=8, icc_profile=icc, source_format=fmt)


def preview_png(data: bytes, *, max_pixels: int) -> bytes:
    """An 8-bit sRGB PNG of a photo, for a browser to show (it cannot decode TIFF): decoded by `decode_photo`,
    exactly as a repair job decodes it, so it has the job's pixel grid (EXIF orientation applied) and a mask
    painted on it fits the job. Grayscale stays grayscale, alpha is kept, an ICC profile is converted to sRGB (a
    profile that cannot be read is ignored). Only for display: the photo to repair is still the original upload,
    with its full depth and profile."""
    probe_photo(data, max_pixels=max_pixels)  # every byte checked as a repair upload is, with the same messages
    photo = decode_photo(data, max_pixels=max_pixels)
    channels = photo.rgb[..., :1] if photo.grayscale else photo.rgb  # (H, W, 1|3); grayscale is replicated
    arr = np.empty(channels.shape, np.uint8)
    np.rint(np.multiply(channels, 255.0), out=arr, casting="unsafe")
    img = Image.fromarray(arr[..., 0] if photo.grayscale else arr)  # L or RGB
    if photo.icc_profile:
        img = _to_srgb(img, photo.icc_profile)
    if photo.alpha is not None:
        alpha = np.rint(photo.alpha * 255.0).astype(np.uint8)
        img.putalpha(Image.fromarray(alpha))  # L -> LA, RGB -> RGBA
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)  # shown once and thrown away: fast beats small
    return buf.getvalue()


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError):
        return img  # a broken or mismatched profile: show the numbers as sRGB, as a browser would


def _cmyk_to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: fall back to the naive conversion below
    return img.convert("RGB")


def decode_mask(data: bytes, *, size: tuple[int, int], max_pixels: int) -> np.ndarray:
    """(H, W) bool, True = missing. White (and opaque, if the file has alpha) means masked."""
    img = _open(data, max_pixels, "mask")
    _load(img, "mask")
    img = ImageOps.exif_transpose(img)
    if img.size != size:
        raise BadInput(f"The mask is {img.size[0]}×{img.size[1]} but the image is {size[0]}×{size[1]}; "
                       "they must be the same size.")
    has_alpha = img.mode in ("LA", "RGBA", "PA") or (img.mode == "P" and "transparency" in img.info)
    rgba = np.asarray(img.convert("RGBA"))
    lum = rgba[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    mask = lum > 127.5
    if has_alpha:
        mask &= rgba[..., 3] > 127
    return mask


def encode_photo(photo: Photo, rgb: np.ndarray, provenance: dict[str, Any]) -> bytes:
    """Write `rgb` ((H, W, 3) float in [0, 1]) the way `photo` came in: depth, grayscale, alpha, ICC."""
    rgb = np.clip(rgb, 0.0, 1.0)
    channels = rgb.mean(axis=2, keepdims=True) if photo.grayscale else rgb  # (H, W, 1|3)
    if photo.alpha is not None:
        channels = np.concatenate([channels, photo.alpha[..., None]], axis=2)
    scale, dtype = (65535.0, np.uint16) if photo.bit_depth == 16 else (255.0, np.uint8)
    arr = np.round(channels * scale).astype(dtype)
    if photo.bit_depth == 8:
        mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[arr.shape[2]]
        img = Image.fromarray(arr[..., 0] if mode == "L" else arr, mode=mode)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        png = buf.getvalue()
    else:
        import cv2

        order = {1: [0], 2: [0, 1], 3: [2, 1, 0], 4: [2, 1, 0, 3]}[arr.shape[2]]
        ok, encoded = cv2.imencode(".png", np.ascontiguousarray(arr[..., order]))
        if not ok:
            raise RuntimeError("PNG encoding failed")
        png = encoded.tobytes()
    return add_png_chunks(png, provenance, icc_profile=photo.icc_profile)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def add_png_chunks(png: bytes, provenance: dict[str, Any], *, icc_profile: bytes | None) -> bytes:
    """Insert iCCP and the provenance text chunks right after IHDR (encoder-independent, lossless)."""
    ihdr_end = 8 + 8 + 13 + 4  # signature + IHDR length/type + IHDR body + CRC
    extra = b""
    if icc_profile:
        extra += _chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(icc_profile))
    text = {PROVENANCE_KEY: json.dumps(provenance, sort_keys=True), "Software": f"Atelier {atelier.__version__}"}
    for key, value in text.items():
        extra += _chunk(b"iTXt", key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + value.encode("utf-8"))
    return png[:ihdr_end] + extra + png[ihdr_end:]
