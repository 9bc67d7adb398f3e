// Loading the repair page's inputs: a photo (picked, dropped or pasted; checked and decoded here, or previewed by
// the server when the browser cannot show it) and a mask file for it. Separate from the tools, which work on what is
// loaded, and from the job, which sends it: this module is the only one that replaces the photo.

import { API, ApiError, apiBlob } from "../api.js";
import { PhotoError, readPhoto } from "../photo-file.js";
import { clearFormError, describeError, formatBytes } from "../ui.js";
import { config, currentTask, els, painter, state, view } from "./state.js";
import { setStatus, showError } from "./status.js";
import { isTyping, setBrushSize, setComparing, showTask, updateMaskLayer, updateMaskStats } from "./tools.js";

const PREVIEW_TIMEOUT_MS = 120_000; // uploading a large scan and decoding it on the server may take a while

/**
 * The server's PNG preview of a photo the browser cannot show (TIFF, or a file it failed to decode), on the pixel
 * grid the repair job will use. `onStart` shows that it is being prepared. A refusal keeps the server's message.
 */
async function fetchPreview(file, name, onStart) {
  onStart();
  const body = new FormData();
  body.append("image", file, name);
  try {
    return await apiBlob(`${API}/previews`, { method: "POST", body, timeoutMs: PREVIEW_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) throw new PhotoError("Can't read this image", err.message);
    throw err;
  }
}

/** The photo card: the loaded photo, "preparing" a new one, or empty. */
function showPhotoCard(preparingName = null) {
  const photo = state.photo;
  if (preparingName !== null) {
    els.photoCard.dataset.state = "preparing";
    els.photoName.textContent = preparingName;
    els.photoName.title = preparingName;
    els.photoMeta.textContent = "Preparing preview…";
    els.photoMeta.title = "";
  } else if (photo) {
    els.photoCard.dataset.state = "loaded";
    els.photoName.textContent = photo.name;
    els.photoName.title = photo.name;
    // (U+2011: a hyphen the line never breaks at)
    const format = photo.format.toUpperCase() + (photo.previewed ? " (8\u2011bit preview)" : "");
    els.photoMeta.textContent = `${photo.width}×${photo.height} · ${formatBytes(photo.file.size)} · ${format}`;
    els.photoMeta.title = photo.previewed ? "Your browser cannot show this file, so the server made a preview to " +
      "paint on. The original file, at its full depth and colour, is what gets repaired." : "";
  } else {
    els.photoCard.dataset.state = "empty";
    els.photoName.textContent = "No photo yet";
    els.photoName.title = "";
    els.photoMeta.textContent = "Drop or paste one, or choose a file.";
    els.photoMeta.title = "";
  }
}

/** Checks, decodes and shows a photo; false (after saying why) when it cannot be used. */
export async function loadPhotoFile(file, { quiet = false } = {}) {
  const generation = ++state.photoGeneration;
  clearFormError();
  const preparing = (name) => {
    if (generation !== state.photoGeneration) return;
    showPhotoCard(name);
    if (!state.busy) setStatus("preparing", `Preparing a preview of ${name}…`);
  };
  let photo;
  try {
    photo = await readPhoto(file, {
      maxBytes: config.max_upload_bytes,
      maxPixels: config.max_pixels,
      preview: (original, name) => fetchPreview(original, name, () => preparing(name)),
    });
  } catch (err) {
    if (generation !== state.photoGeneration) return false;
    showPhotoCard();
    const [title, message] = describeError(err);
    showError(title, message);
    if (!state.busy) setStatus("idle", `Not loaded: ${title}.`);
    return false;
  }
  if (generation !== state.photoGeneration) {
    URL.revokeObjectURL(photo.img.src);
    return false;
  }
  if (state.busy) {
    state.run++; // the running job belongs to the previous photo: stop following it here
    setStatus("idle", "");
  }
  setPhoto(photo);
  if (!quiet) setStatus("idle", readyText());
  return true;
}

function setPhoto(photo) {
  if (state.photo) URL.revokeObjectURL(state.photo.url);
  const url = photo.img.src;
  const { file, name, format, width, height, previewed } = photo;
  state.photo = { file, name, format, width, height, url, previewed };
  state.result = null;
  state.maskOrigin = "none";

  els.beforeImg.src = url;
  els.beforeImg.alt = `Original photo, ${photo.name}`;
  els.afterImg.removeAttribute("src");
  els.afterImg.alt = "";
  els.photoThumb.src = url;
  showPhotoCard();
  els.photoChoose.textContent = "Replace…";
  els.stage.dataset.state = "ready";
  els.stageEmpty.hidden = true;
  els.summary.textContent = `${photo.name} · ${photo.width}×${photo.height}`;
  els.resultDownload.hidden = true;
  els.maskDownload.hidden = true;

  const longest = Math.max(photo.width, photo.height);
  const maxBrush = Math.max(32, Math.min(400, Math.round(longest / 2)));
  painter.maxSize = maxBrush;
  els.brushSize.max = String(maxBrush);
  painter.reset(photo.width, photo.height);
  setBrushSize(Math.max(4, Math.min(120, Math.round(longest / 40))));

  view.setImage(photo.width, photo.height);
  view.setSplit(0.5);
  setComparing(false);
  els.zoom.hidden = false;
  showTask();
  updateMaskStats();
}

export function readyText() {
  const task = currentTask();
  if (task === "inpaint") return "Photo loaded. Paint over what to fill in, then inpaint.";
  if (task === "denoise") return "Photo loaded. Set the strength, then denoise.";
  return "Photo loaded. Repair it, or mark the damage yourself first.";
}

export async function loadMaskFile(file) {
  clearFormError();
  if (!state.photo) {
    showError("Load the photo first", "A mask belongs to a photo: choose the photo, then its mask.");
    return;
  }
  let mask;
  let preparing = false; // the mask went to the server for decoding, and the status line says so
  const notLoaded = () => {
    if (preparing && state.preparing) setStatus("idle", "Mask not loaded.");
  };
  try {
    mask = await readPhoto(file, {
      maxBytes: config.max_upload_bytes,
      maxPixels: config.max_pixels,
      what: "mask",
      preview: (original, name) => fetchPreview(original, name, () => {
        if (state.busy) return;
        preparing = true;
        setStatus("preparing", `Reading the mask ${name}…`);
      }),
    });
  } catch (err) {
    notLoaded();
    showError(...describeError(err));
    return;
  }
  const { width, height } = state.photo;
  if (mask.width !== width || mask.height !== height) {
    URL.revokeObjectURL(mask.img.src);
    notLoaded();
    showError("The mask is a different size",
      `${mask.name} is ${mask.width}×${mask.height} but the photo is ${width}×${height}; a mask must be exactly ` +
      "the photo's size.");
    return;
  }
  const painted = painter.load(mask.img);
  URL.revokeObjectURL(mask.img.src);
  state.maskOrigin = "file";
  els.showMask.checked = true;
  updateMaskLayer();
  if (painted === 0) {
    showError("The mask is empty", `${mask.name} has no white areas, so it marks nothing to repair. White = repair.`);
  }
  setStatus("idle", `Mask loaded from ${mask.name}.`);
}

// ---------------------------------------------------------------- drop and paste

function firstImageFile(list) {
  const files = [...(list || [])];
  return files.find((f) => f.type.startsWith("image/")) || files[0] || null;
}

function bindDropAndPaste() {
  let depth = 0; // dragenter/leave fire for every child crossed
  const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes("Files");
  window.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth++;
    document.body.classList.add("is-dragging-file");
  });
  window.addEventListener("dragleave", (event) => {
    if (!hasFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove("is-dragging-file");
  });
  window.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  window.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    document.body.classList.remove("is-dragging-file");
    const file = firstImageFile(event.dataTransfer.files);
    if (!file) return;
    // Dropped on the mask tools with a photo loaded: it is a mask; anywhere else it is the photo.
    const onMaskTools = event.target instanceof Element && event.target.closest("#mask-section, #toolbar");
    if (state.photo && onMaskTools) loadMaskFile(file);
    else loadPhotoFile(file);
  });
  document.addEventListener("paste", (event) => {
    if (isTyping(event.target)) return;
    const items = [...((event.clipboardData && event.clipboardData.items) || [])];
    const item = items.find((it) => it.kind === "file" && it.type.startsWith("image/"));
    if (!item) {
      if (items.some((it) => it.kind === "file")) {
        event.preventDefault();
        showError("Not an image", "The clipboard holds a file that is not an image. Copy a photo, then paste.");
      }
      return;
    }
    event.preventDefault();
    const blob = item.getAsFile();
    if (!blob) return;
    const ext = blob.type.split("/")[1] || "png";
    const name = blob.name && blob.name !== "image.png" ? blob.name : `pasted-image.${ext}`;
    loadPhotoFile(new File([blob], name, { type: blob.type }));
  });
}

// ---------------------------------------------------------------- wiring

/** Connects the photo and mask pickers, and dropping and pasting files anywhere on the page. */
export function bindPhotoInputs() {
  const choose = () => els.photoInput.click();
  els.photoChoose.addEventListener("click", choose);
  els.stageChoose.addEventListener("click", choose);
  els.photoInput.addEventListener("change", () => {
    const file = els.photoInput.files && els.photoInput.files[0];
    els.photoInput.value = ""; // choosing the same file again still counts as a change
    if (file) loadPhotoFile(file);
  });
  els.maskChoose.addEventListener("click", () => els.maskInput.click());
  els.maskInput.addEventListener("change", () => {
    const file = els.maskInput.files && els.maskInput.files[0];
    els.maskInput.value = "";
    if (file) loadMaskFile(file);
  });
  bindDropAndPaste();
}
