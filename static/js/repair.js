// The repair page: load a photo (pick, drop, paste, or ?from=<job id>), choose a task, paint or load a mask,
// send the job, follow its progress, then compare before and after, edit auto's detected mask and run again.
//
// Plain modern JavaScript, no build step. Server data only reaches the page through textContent, attributes
// and createElement, never innerHTML.

import { API, ApiError, api, apiBlob, pollJob } from "./api.js";
import { CompareView } from "./compare.js";
import { listJobs, rememberJob } from "./history.js";
import { MaskPainter } from "./mask-painter.js";
import { PhotoError, decodeImage, formatBytes, readPhoto } from "./photo-file.js";

const MASK_COLOR = "#ff3d6e"; // the overlay's hue; the canvas element's opacity makes it see-through
const BRUSH_STEP = 1.25; // [ and ] divide / multiply the brush size by this (and change it by 1 px at least)
const MASK_STATS_DELAY_MS = 120; // counting painted pixels waits until painting pauses
const PREVIEW_TIMEOUT_MS = 120_000; // uploading a large scan and decoding it on the server may take a while
const TASK_NAMES = { auto: "Auto repair", inpaint: "Inpaint", denoise: "Denoise" };
const TASK_DONE = { auto: "Repaired", inpaint: "Inpainted", denoise: "Denoised" };

const $ = (id) => document.getElementById(id);

const form = $("repair-form");
const els = {
  photoCard: $("photo-card"),
  photoThumb: $("photo-thumb"),
  photoName: $("photo-name"),
  photoMeta: $("photo-meta"),
  photoChoose: $("photo-choose"),
  photoInput: $("photo-input"),
  stageChoose: $("stage-choose"),
  taskPicker: $("task-picker"),
  strengthField: $("strength-field"),
  sigma: $("sigma"),
  sigmaBlind: $("sigma-blind"),
  sigmaValue: $("sigma-value"),
  maskSection: $("mask-section"),
  maskHint: $("mask-hint"),
  maskShare: $("mask-share"),
  paintTools: $("paint-tools"),
  toolbarNote: $("toolbar-note"),
  toolBrush: $("tool-brush"),
  toolEraser: $("tool-eraser"),
  toolMove: $("tool-move"),
  brushSize: $("brush-size"),
  brushSizeValue: $("brush-size-value"),
  undo: $("undo"),
  redo: $("redo"),
  clearMask: $("clear-mask"),
  maskChoose: $("mask-choose"),
  maskInput: $("mask-input"),
  showMask: $("show-mask"),
  submit: $("submit"),
  formError: $("form-error"),
  formErrorTitle: $("form-error-title"),
  formErrorMessage: $("form-error-message"),
  summary: $("results-summary"),
  resultDownload: $("result-download"),
  maskDownload: $("mask-download"),
  status: $("status"),
  statusText: $("status-text"),
  statusPercent: $("status-percent"),
  progress: $("progress"),
  progressBar: $("progress-bar"),
  legend: $("compare-legend"),
  compareToggle: $("compare-toggle"),
  zoom: $("zoom"),
  zoomOut: $("zoom-out"),
  zoomIn: $("zoom-in"),
  zoomFit: $("zoom-fit"),
  zoomActual: $("zoom-actual"),
  zoomValue: $("zoom-value"),
  stage: $("stage"),
  world: $("world"),
  beforeImg: $("before-img"),
  afterImg: $("after-img"),
  maskCanvas: $("mask-canvas"),
  cursor: $("brush-cursor"),
  divider: $("compare-divider"),
  stageEmpty: $("stage-empty"),
};

const config = readConfig();
const state = {
  photo: null, // {file, name, format, width, height, url, previewed}: file is what is sent, url what is shown
  result: null, // {job, task, usedMask, url, maskUrl}
  tool: "brush", // brush | eraser | move
  spaceHeld: false,
  maskOrigin: "none", // none | painted | file | detected | job: where the mask's content came from
  busy: false, // a job is being sent or followed
  preparing: false, // a photo or mask is being decoded by the server
};
let currentRun = 0; // incremented per job followed; an older poll loop stops when it sees a newer one
let photoGeneration = 0; // incremented per photo load; a slower, older load is dropped
let maskStatsTimer = 0;

/** Limits and installed models, embedded by the server as JSON. */
function readConfig() {
  const node = $("repair-data");
  try {
    return JSON.parse((node && node.textContent) || "{}");
  } catch {
    return {};
  }
}

const painter = new MaskPainter(els.maskCanvas, { color: MASK_COLOR, onChange: onMaskChange });
const view = new CompareView({
  stage: els.stage,
  world: els.world,
  after: els.afterImg,
  divider: els.divider,
  canPan: (event) => state.photo !== null && !canPaint(event),
  onChange: onViewChange,
});

// ---------------------------------------------------------------- small helpers

function currentTask() {
  const checked = form ? form.querySelector('input[name="task"]:checked') : null;
  return checked ? checked.value : null;
}

const taskUsesMask = (task) => task === "inpaint" || task === "auto";
const maskEditable = () => state.photo !== null && taskUsesMask(currentTask());

function canPaint(event) {
  return maskEditable() && state.tool !== "move" && !state.spaceHeld && event.button === 0 &&
    !event.target.closest("[data-stage-ui]");
}

function withDownload(url) {
  return url + (url.includes("?") ? "&" : "?") + "download=1";
}

function stem(name) {
  const base = name.replace(/\.[^.]+$/, "").replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "");
  return base || "photo";
}

function smoothScroll() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
}

function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || target.closest("select, textarea")) return true;
  return target instanceof HTMLInputElement && !["range", "checkbox", "radio", "button", "file"].includes(target.type);
}

// ---------------------------------------------------------------- messages, status and progress

function showError(title, message) {
  els.formErrorTitle.textContent = title;
  els.formErrorMessage.textContent = message || "";
  els.formErrorMessage.hidden = !message;
  els.formError.hidden = false;
  const box = els.formError.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) {
    els.formError.scrollIntoView({ block: "nearest", behavior: smoothScroll() });
  }
}

function clearError() {
  els.formError.hidden = true;
  els.formErrorTitle.textContent = "";
  els.formErrorMessage.textContent = "";
}

function describeError(err) {
  if (err instanceof ApiError || err instanceof PhotoError) return [err.title, err.message];
  return ["Something went wrong", String((err && err.message) || err)];
}

/** state: idle | preparing (a photo's preview) | submitting | queued | running | succeeded | failed */
function setStatus(status, text, progress) {
  els.status.dataset.state = status;
  els.statusText.textContent = text;
  const busy = status === "submitting" || status === "queued" || status === "running";
  const preparing = status === "preparing";
  const known = typeof progress === "number" && Number.isFinite(progress);
  const pct = known ? Math.round(Math.min(1, Math.max(0, progress)) * 100) : 0;
  const shown = status === "succeeded" ? 100 : pct;
  els.progressBar.style.width = `${shown}%`;
  els.progress.setAttribute("aria-valuenow", String(shown));
  els.progress.dataset.indeterminate = String(preparing || (busy && !(status === "running" && pct > 0)));
  els.statusPercent.textContent = status === "running" && pct > 0 ? `${pct}%` : "";
  state.busy = busy;
  state.preparing = preparing;
  els.stage.setAttribute("aria-busy", String(busy));
  els.afterImg.classList.toggle("is-stale", busy);
  els.submit.disabled = busy || preparing; // while preparing, the photo shown is about to be replaced
  els.submit.setAttribute("aria-busy", String(busy || preparing));
  updateSubmitLabel();
}

function updateSubmitLabel() {
  const label = els.submit.querySelector(".button__label");
  if (state.busy) {
    label.textContent = "Repairing…";
    return;
  }
  const task = currentTask();
  if (task === "auto") {
    if (state.photo && !painter.isEmpty()) {
      const rerun = state.result && state.result.task === "auto";
      label.textContent = rerun ? "Re-run with edited mask" : "Repair with this mask";
    } else {
      label.textContent = "Repair automatically";
    }
  } else {
    label.textContent = TASK_NAMES[task] || "Repair";
  }
}

// ---------------------------------------------------------------- task, strength and tools

function showTask() {
  const task = currentTask();
  els.strengthField.hidden = !(task === "denoise" || task === "auto");
  els.maskSection.hidden = !taskUsesMask(task);
  els.paintTools.hidden = !state.photo || !taskUsesMask(task);
  els.toolbarNote.hidden = !state.photo || taskUsesMask(task);
  for (const hint of document.querySelectorAll("[data-paint-help]")) hint.hidden = !taskUsesMask(task);
  updateMaskLayer();
  updateMaskHint();
  updateSubmitLabel();
  updateCursorMode();
}

function showSigma() {
  const blind = els.sigmaBlind.checked;
  const value = Number(els.sigma.value);
  els.sigmaValue.textContent = blind ? "auto" : String(value);
  els.sigma.setAttribute("aria-valuetext", blind ? "automatic (estimated from the photo)" : String(value));
  els.sigma.classList.toggle("range--inactive", blind);
  const fill = (value / Number(els.sigma.max)) * 100;
  els.sigma.style.setProperty("--fill", `${fill}%`);
}

function setTool(tool) {
  state.tool = tool;
  for (const [name, button] of [["brush", els.toolBrush], ["eraser", els.toolEraser], ["move", els.toolMove]]) {
    button.setAttribute("aria-pressed", String(name === tool));
  }
  painter.tool = tool === "eraser" ? "eraser" : "brush";
  updateCursorMode();
}

function setBrushSize(size) {
  painter.size = size;
  els.brushSize.value = String(painter.size);
  els.brushSizeValue.textContent = `${painter.size} px`;
  els.brushSize.setAttribute("aria-valuetext", `${painter.size} pixels`);
  const min = Number(els.brushSize.min);
  const fill = ((painter.size - min) / (Number(els.brushSize.max) - min)) * 100;
  els.brushSize.style.setProperty("--fill", `${fill}%`);
  updateCursorSize();
}

function stepBrush(direction) {
  const size = painter.size;
  const next = direction > 0 ? Math.max(size + 1, Math.round(size * BRUSH_STEP))
    : Math.min(size - 1, Math.round(size / BRUSH_STEP));
  setBrushSize(next);
}

/** The mask overlay shows while masks matter for the task and the person has not hidden it. */
function updateMaskLayer() {
  els.maskCanvas.hidden = !(maskEditable() && els.showMask.checked);
}

function updateCursorMode() {
  const panning = state.spaceHeld || state.tool === "move" || !maskEditable();
  const mode = !state.photo ? "none" : panning ? "move" : state.tool;
  els.stage.dataset.tool = mode;
  if (mode !== "brush" && mode !== "eraser") els.cursor.hidden = true;
}

function updateCursorSize() {
  const d = painter.size * view.scale;
  els.cursor.style.width = `${d}px`;
  els.cursor.style.height = `${d}px`;
}

function moveCursor(event) {
  const mode = els.stage.dataset.tool;
  const overControl = event.target instanceof Element && event.target.closest("[data-stage-ui]");
  if ((mode !== "brush" && mode !== "eraser") || event.pointerType === "touch" || overControl) {
    els.cursor.hidden = true;
    return;
  }
  const p = view.stagePoint(event);
  els.cursor.style.transform = `translate(${p.x}px, ${p.y}px) translate(-50%, -50%)`;
  els.cursor.hidden = false;
}

// ---------------------------------------------------------------- mask state

function onMaskChange({ canUndo, canRedo }) {
  els.undo.disabled = !canUndo;
  els.redo.disabled = !canRedo;
  clearTimeout(maskStatsTimer);
  maskStatsTimer = setTimeout(updateMaskStats, MASK_STATS_DELAY_MS);
}

function updateMaskStats() {
  if (!state.photo) return;
  const painted = painter.paintedPixels();
  els.clearMask.disabled = painted === 0;
  els.stage.dataset.maskPixels = String(painted);
  if (painted === 0 && state.maskOrigin !== "none") state.maskOrigin = "none";
  updateMaskHint();
  updateSubmitLabel();
}

function updateMaskHint() {
  const task = currentTask();
  const painted = state.photo ? painter.paintedPixels() : 0;
  const share = state.photo ? painted / (painter.width * painter.height) : 0;
  els.maskShare.textContent = painted === 0 ? "" : `${share < 0.001 ? "<0.1" : (share * 100).toFixed(1)}% marked`;
  if (!state.photo) {
    els.maskHint.textContent = task === "inpaint" ? "Load a photo, then paint over what to fill in."
      : "Optional: auto repair finds the damage itself.";
  } else if (task === "inpaint") {
    els.maskHint.textContent = painted === 0 ? "Paint over what to fill in, on the photo."
      : "Marked areas are filled in from the photo around them.";
  } else if (painted === 0) {
    els.maskHint.textContent = "Optional: auto repair finds the damage itself. Paint only to tell it where instead.";
  } else if (state.maskOrigin === "detected") {
    els.maskHint.textContent = "The damage it found. Brush adds, eraser removes; then re-run.";
  } else {
    els.maskHint.textContent = "Your mask is used and detection skipped. Clear it to detect again.";
  }
}

// ---------------------------------------------------------------- view

function onViewChange({ scale }) {
  els.zoomValue.textContent = state.photo ? `${Math.round(scale * 100)}%` : "–";
  updateCursorSize();
}

function setComparing(on) {
  const available = state.result !== null;
  view.setComparing(available && on);
  els.compareToggle.setAttribute("aria-pressed", String(available && on));
  els.compareToggle.hidden = !available;
  els.legend.hidden = !(available && on);
  els.afterImg.hidden = !available;
}

// ---------------------------------------------------------------- loading a photo

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
async function loadPhotoFile(file, { quiet = false } = {}) {
  const generation = ++photoGeneration;
  clearError();
  const preparing = (name) => {
    if (generation !== photoGeneration) return;
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
    if (generation !== photoGeneration) return false;
    showPhotoCard();
    const [title, message] = describeError(err);
    showError(title, message);
    if (!state.busy) setStatus("idle", `Not loaded: ${title}.`);
    return false;
  }
  if (generation !== photoGeneration) {
    URL.revokeObjectURL(photo.img.src);
    return false;
  }
  if (state.busy) {
    currentRun++; // the running job belongs to the previous photo: stop following it here
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

function readyText() {
  const task = currentTask();
  if (task === "inpaint") return "Photo loaded. Paint over what to fill in, then inpaint.";
  if (task === "denoise") return "Photo loaded. Set the strength, then denoise.";
  return "Photo loaded. Repair it, or mark the damage yourself first.";
}

async function loadMaskFile(file) {
  clearError();
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

// ---------------------------------------------------------------- jobs

async function onSubmit(event) {
  event.preventDefault();
  clearError();
  if (state.busy) return;
  const photo = state.photo;
  if (!photo) {
    showError("No photo yet", "Choose, drop or paste a photo first.");
    els.photoChoose.focus();
    return;
  }
  const task = currentTask();
  if (!task) {
    showError("Choose a task", "None of the repair tasks is available on this server.");
    return;
  }
  const sigma = task !== "inpaint" && !els.sigmaBlind.checked ? Number(els.sigma.value) : null;
  const usedMask = taskUsesMask(task) && !painter.isEmpty();
  if (task === "inpaint" && !usedMask) {
    showError("Nothing marked to fill in", "Paint over the areas to repair (or load a mask file), then inpaint.");
    els.stage.focus({ preventScroll: true });
    return;
  }
  const body = new FormData();
  body.append("image", photo.file, photo.name);
  body.append("task", task);
  if (sigma !== null) body.append("sigma", String(sigma));
  const run = ++currentRun;
  setStatus("submitting", "Uploading…");
  try {
    if (usedMask) body.append("mask", await painter.toBlob(), "mask.png");
    const accepted = await api(`${API}/jobs/restore`, { method: "POST", body });
    if (run !== currentRun) return;
    rememberJob({ id: accepted.id, kind: "restore", params: { task, sigma, filename: photo.name } });
    const statusUrl = accepted.status_url || `${API}/jobs/${encodeURIComponent(accepted.id)}`;
    await followJob(statusUrl, run, { task, usedMask });
  } catch (err) {
    failRun(run, err);
  }
}

/** Polls a job to its end and shows the outcome (the run stops quietly when a newer one took over). */
async function followJob(statusUrl, run, { task, usedMask }) {
  setStatus("queued", "Queued, waiting for a worker…");
  const job = await pollJob(statusUrl, {
    cancelled: () => run !== currentRun,
    onRetry: () => setStatus("running", "Connection lost, retrying…"),
    onUpdate: (update) => {
      if (update.status === "running") {
        const progress = update.progress || 0;
        setStatus("running", progress > 0 ? `${TASK_NAMES[task]}: working…` : "Starting…", progress);
      } else {
        setStatus("queued", "Queued, waiting for a worker…");
      }
    },
  });
  if (job === null || run !== currentRun) return;
  if (job.status === "failed") {
    const err = job.error || {};
    setStatus("failed", "The job failed.");
    showError("The job failed", err.message || "The worker could not finish this job.");
    return;
  }
  await showResult(job, run, { task, usedMask });
}

function failRun(run, err) {
  if (run !== currentRun) return;
  const [title, message] = describeError(err);
  setStatus("failed", `Not repaired: ${title}.`);
  showError(title, message);
}

async function showResult(job, run, { task, usedMask }) {
  const images = Array.isArray(job.images) ? job.images : [];
  const result = images.find((im) => im.label === "result") || images[0];
  const detected = images.find((im) => im.label === "mask");
  if (!result) throw new ApiError("No result", "The job finished without an image.");
  const generation = photoGeneration;

  // The repaired photo, loaded before it replaces anything on screen.
  const after = new Image();
  after.src = result.url;
  try {
    await after.decode();
  } catch {
    throw new ApiError("The result could not be shown", "The repaired image did not load; try downloading it.");
  }
  if (run !== currentRun || generation !== photoGeneration) return;
  els.afterImg.src = result.url;
  els.afterImg.alt = `${TASK_DONE[task]} photo`;
  state.result = { job, task, usedMask, url: result.url, maskUrl: detected ? detected.url : null };

  let note = "";
  if (task === "auto" && detected && !usedMask) {
    // The detected damage becomes the editable mask, shown over the photo.
    const mask = await decodeImage(await apiBlob(detected.url));
    URL.revokeObjectURL(mask.src);
    if (run !== currentRun || generation !== photoGeneration) return;
    const painted = painter.load(mask);
    state.maskOrigin = "detected";
    els.showMask.checked = true;
    const share = (painted / (painter.width * painter.height)) * 100;
    note = painted === 0 ? " No damage was found; paint some to repair it."
      : ` Damage found on ${share < 0.1 ? "<0.1" : share.toFixed(1)}% of the photo, shown in red: edit it and re-run.`;
  } else if (task === "inpaint") {
    els.showMask.checked = false; // the fill is what to look at now
    note = " Mask hidden to show the fill (M shows it).";
  } else {
    note = " Drag the divider to compare before and after.";
  }
  updateMaskLayer();
  updateMaskStats();
  setComparing(true);

  const name = stem(state.photo.name);
  els.resultDownload.href = withDownload(result.url);
  els.resultDownload.download = `${name}-${task}.png`;
  els.resultDownload.hidden = false;
  if (detected) {
    els.maskDownload.href = withDownload(detected.url);
    els.maskDownload.download = `${name}-${task}-mask.png`;
  }
  els.maskDownload.hidden = !detected;
  els.summary.textContent = summaryText(job, task);
  setStatus("succeeded", `Done.${note}`, 1);
}

function summaryText(job, task) {
  const p = job.params || {};
  const parts = [state.photo.name, `${state.photo.width}×${state.photo.height}`, TASK_NAMES[task]];
  if (task !== "inpaint") parts.push(typeof p.sigma === "number" ? `strength ${p.sigma}` : "blind");
  if (job.cache_hit) parts.push("from cache");
  else if (typeof job.duration_ms === "number") {
    const secs = (job.duration_ms / 1000).toFixed(job.duration_ms < 10000 ? 2 : 1);
    parts.push(job.device ? `${secs} s on ${job.device}` : `${secs} s`);
  }
  return parts.join(" · ");
}

/** /repair?from=<job id>: the job's photo, mask and settings, ready to edit and run again. */
async function openFromJob(id) {
  const run = ++currentRun;
  setStatus("idle", "Opening the job…");
  try {
    const job = await api(`${API}/jobs/${encodeURIComponent(id)}`);
    if (job.kind !== "restore") {
      throw new ApiError("Not a repair job", `Job ${id} is a ${job.kind} job; only repair jobs open here.`);
    }
    const base = `${API}/jobs/${encodeURIComponent(id)}/input`;
    const blob = await apiBlob(`${base}/image`);
    const remembered = listJobs().find((e) => e.id === id);
    const ext = { "image/jpeg": "jpg", "image/webp": "webp", "image/tiff": "tif" }[blob.type] || "png";
    const filename = (remembered && remembered.params && remembered.params.filename) || `job-${id.slice(0, 8)}.${ext}`;
    if (run !== currentRun) return;
    if (!(await loadPhotoFile(new File([blob], filename, { type: blob.type }), { quiet: true }))) {
      setStatus("failed", "The job's photo could not be opened.");
      return;
    }
    const params = job.params || {};
    const radio = form.querySelector(`input[name="task"][value="${CSS.escape(String(params.task))}"]`);
    if (radio && !radio.disabled) radio.checked = true;
    els.sigmaBlind.checked = typeof params.sigma !== "number";
    if (typeof params.sigma === "number") els.sigma.value = String(params.sigma);
    showSigma();
    if (params.mask) {
      const mask = await decodeImage(await apiBlob(`${base}/mask`));
      URL.revokeObjectURL(mask.src);
      if (run !== currentRun) return;
      painter.load(mask, { undoable: false });
      state.maskOrigin = "job";
    }
    showTask();
    const task = params.task;
    const usedMask = Boolean(params.mask);
    if (job.status === "succeeded") {
      await showResult(job, run, { task, usedMask });
      if (run === currentRun) setStatus("succeeded", `Opened job ${id.slice(0, 8)}: edit and repair again.`, 1);
    } else if (job.status === "failed") {
      setStatus("idle", `Opened job ${id.slice(0, 8)} (it had failed): adjust and repair again.`);
    } else {
      await followJob(`${API}/jobs/${encodeURIComponent(id)}`, run, { task, usedMask });
    }
  } catch (err) {
    failRun(run, err);
  }
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

// ---------------------------------------------------------------- keyboard

function onKeyDown(event) {
  if (isTyping(event.target)) return;
  const key = event.key;
  const mod = event.ctrlKey || event.metaKey;

  if (key === " " && !mod) {
    // Space held: drag pans while painting. Buttons and checkboxes keep their own Space.
    const target = event.target;
    const own = target instanceof Element && target.closest("button, a, input, [role=slider]");
    if (!state.photo || own) return;
    event.preventDefault();
    if (!state.spaceHeld) {
      state.spaceHeld = true;
      updateCursorMode();
    }
    return;
  }
  if (!state.photo) return;
  if (mod && !event.altKey) {
    const lower = key.toLowerCase();
    if (lower === "z" || lower === "y") {
      if (!maskEditable()) return;
      event.preventDefault();
      if (lower === "y" || event.shiftKey) painter.redo();
      else painter.undo();
    }
    return;
  }
  if (event.altKey) return;
  if (view.handleZoomKey(event)) {
    event.preventDefault();
    return;
  }
  const lower = key.toLowerCase();
  if (maskEditable()) {
    if (key === "[" || key === "]") {
      event.preventDefault();
      stepBrush(key === "]" ? 1 : -1);
      return;
    }
    const tools = { b: "brush", e: "eraser", h: "move" };
    if (lower in tools) {
      setTool(tools[lower]);
      return;
    }
    if (lower === "m") {
      els.showMask.checked = !els.showMask.checked;
      updateMaskLayer();
      return;
    }
  }
  if (lower === "c" && state.result) setComparing(!view.comparing);
}

function onKeyUp(event) {
  if (event.key === " " && state.spaceHeld) {
    state.spaceHeld = false;
    updateCursorMode();
  }
}

// ---------------------------------------------------------------- wiring

if (form) {
  painter.attach(els.stage, { toImage: (event) => view.toImage(event), canPaint });
  // The canvas takes keyboard focus when pressed, so Space, [ ] and the undo keys act on it right away.
  els.stage.addEventListener("pointerdown", (event) => {
    if (state.photo && !event.target.closest("[data-stage-ui]")) els.stage.focus({ preventScroll: true });
    if (canPaint(event)) {
      state.maskOrigin = state.maskOrigin === "detected" ? "detected" : "painted";
      moveCursor(event);
    }
  }, true);
  els.stage.addEventListener("pointermove", moveCursor);
  els.stage.addEventListener("pointerleave", () => (els.cursor.hidden = true));

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

  els.taskPicker.addEventListener("change", () => {
    showTask();
    clearError();
    if (state.photo && !state.busy && !state.preparing && !state.result) setStatus("idle", readyText());
  });
  els.sigma.addEventListener("input", () => {
    els.sigmaBlind.checked = false; // moving the slider means "this strength"
    showSigma();
  });
  els.sigmaBlind.addEventListener("change", showSigma);

  els.toolBrush.addEventListener("click", () => setTool("brush"));
  els.toolEraser.addEventListener("click", () => setTool("eraser"));
  els.toolMove.addEventListener("click", () => setTool("move"));
  els.brushSize.addEventListener("input", () => setBrushSize(Number(els.brushSize.value)));
  els.undo.addEventListener("click", () => painter.undo());
  els.redo.addEventListener("click", () => painter.redo());
  els.clearMask.addEventListener("click", () => painter.clear());
  els.showMask.addEventListener("change", updateMaskLayer);

  els.zoomIn.addEventListener("click", () => view.zoomBy(1.25));
  els.zoomOut.addEventListener("click", () => view.zoomBy(1 / 1.25));
  els.zoomFit.addEventListener("click", () => view.fit());
  els.zoomActual.addEventListener("click", () => view.actualSize());
  els.compareToggle.addEventListener("click", () => setComparing(!view.comparing));

  document.addEventListener("keydown", onKeyDown);
  document.addEventListener("keyup", onKeyUp);
  window.addEventListener("blur", () => onKeyUp({ key: " " }));
  bindDropAndPaste();
  form.addEventListener("submit", onSubmit);

  showSigma();
  setBrushSize(Number(els.brushSize.value));
  setTool("brush");
  showTask();
  setStatus("idle", "Ready. Load a photo to begin.");

  const from = new URLSearchParams(window.location.search).get("from");
  if (from) openFromJob(from);
}
