// The generate page: model picker, request form (prefilled from a link such as the Jobs page's "Re-run"), job
// polling, the results gallery with its large view, and re-running or editing the last request.
//
// Plain modern JavaScript, no build step. Server data is only ever put into the page with textContent,
// attributes and createElement, never innerHTML.

import { API, ApiError, api, pollJob } from "./api.js";
import { rememberJob } from "./history.js";
import { imageActions, interpolateLabel, onPickChange } from "./explore.js";
import { openLightbox } from "./lightbox.js";
import { upscaleAction } from "./upscale.js";

const DISPLAY_TARGET_PX = 112; // images are upscaled by a whole factor to about this width

const $ = (id) => document.getElementById(id);

const form = $("generate-form");
const els = {
  model: $("model"),
  klass: $("class"),
  seed: $("seed"),
  dice: $("dice"),
  count: $("count"),
  truncation: $("truncation"),
  truncationValue: $("truncation-value"),
  submit: $("submit"),
  modelDescription: $("model-description"),
  modelMeta: $("model-meta"),
  modelMetrics: $("model-metrics"),
  modelActions: $("model-actions"),
  deleteModel: $("delete-model"),
  modelNotice: $("model-notice"),
  modelPreview: $("model-preview"),
  modelPreviewImg: $("model-preview-img"),
  modelPreviewCaption: $("model-preview-caption"),
  formError: $("form-error"),
  formErrorTitle: $("form-error-title"),
  formErrorMessage: $("form-error-message"),
  status: $("status"),
  statusText: $("status-text"),
  statusPercent: $("status-percent"),
  progress: $("progress"),
  progressBar: $("progress-bar"),
  gallery: $("gallery"),
  galleryEmpty: $("gallery-empty"),
  summary: $("results-summary"),
  gridDownload: $("grid-download"),
  resultsActions: $("results-actions"),
  editParams: $("edit-params"),
  rerun: $("rerun"),
  linkNotice: $("link-notice"),
  linkNoticeList: $("link-notice-list"),
};

const models = readModels();
let currentRun = 0; // incremented per submission; an older run's poll loop stops when it sees a newer one
let shown = null; // { job, request }: the results in the gallery and the request that made them

/** The models list the server embedded in the page as JSON. */
function readModels() {
  const node = $("models-data");
  if (!node) return [];
  try {
    const data = JSON.parse(node.textContent || "[]");
    return Array.isArray(data) ? data : [];
  } catch {
    return [];
  }
}

function modelById(id) {
  return models.find((m) => m.id === id) || null;
}

// ---------------------------------------------------------------- model picker

// The measured metrics worth showing an artist, in this order; the rest stay in the API and the model card.
const percent = (v) => `${(v * 100).toFixed(1)}%`;
const fixed1 = (v) => v.toFixed(1);
const SHOWN_METRICS = [
  ["fd", "Fréchet distance to real", fixed1],
  ["fd_floor", "Real vs real (floor)", fixed1],
  ["fd_mlp", "Plain MLP GAN", fixed1],
  ["class_accuracy", "Drawn as the class asked", percent],
];

function shownMetrics(metrics) {
  return SHOWN_METRICS.filter(([key]) => typeof metrics[key] === "number")
    .map(([key, label, format]) => [key, label, format(metrics[key])]);
}

// The preview's layout, as models/preview.py draws it: one row per class (the first 10) by 8 seeds, or 4 × 8.
const PREVIEW_COLS = 8;
const PREVIEW_MAX_CLASS_ROWS = 10;
const PREVIEW_UNCONDITIONAL_ROWS = 4;

function previewWords(model) {
  const classes = (model.classes || []).map(String);
  if (classes.length) {
    const rows = classes.slice(0, PREVIEW_MAX_CLASS_ROWS);
    const which = rows.length === classes.length
      ? "one row per class"
      : `one row for each of the first ${rows.length} classes`;
    return {
      alt: `Samples from ${model.id}: ${which} (${rows.join(", ")}), ${PREVIEW_COLS} fixed seeds each`,
      caption: `${which[0].toUpperCase()}${which.slice(1)}, seeds 0–${PREVIEW_COLS - 1}`,
    };
  }
  const n = PREVIEW_COLS * PREVIEW_UNCONDITIONAL_ROWS;
  return {
    alt: `Samples from ${model.id}: ${n} images from fixed seeds 0 to ${n - 1}`,
    caption: `Seeds 0–${n - 1}, row by row`,
  };
}

/** The selected model's sample grid under its description; nothing at all for a model without one. */
function showPreview(model) {
  const url = model && model.preview_url;
  const img = els.modelPreviewImg;
  els.modelPreview.hidden = !url;
  if (!url) {
    img.removeAttribute("src");
    img.alt = "";
    els.modelPreviewCaption.textContent = "";
    return;
  }
  const words = previewWords(model);
  img.alt = words.alt;
  els.modelPreviewCaption.textContent = words.caption;
  if (img.getAttribute("src") !== url) {
    img.removeAttribute("style"); // sized again once the new grid has loaded
    img.src = url;
  }
}

/** Fits the grid in its fixed frame: small grids grow by whole factors with square pixels, large ones shrink. */
function fitPreview() {
  const img = els.modelPreviewImg;
  const w = img.naturalWidth;
  const h = img.naturalHeight;
  const frame = img.parentElement.getBoundingClientRect();
  if (!w || !h || !img.getAttribute("src") || frame.width === 0) return;
  const fit = Math.min(frame.width / w, frame.height / h);
  const scale = fit >= 1 ? Math.floor(fit) : fit;
  img.style.width = `${Math.round(w * scale)}px`;
  img.style.height = `${Math.round(h * scale)}px`;
  img.dataset.pixelated = String(scale > 1);
}

function showModel(model) {
  els.modelDescription.textContent = model ? model.description || "" : "";
  els.modelDescription.hidden = !(model && model.description);
  showPreview(model);

  const meta = [];
  if (model) {
    if (model.version) meta.push(`version ${model.version}`);
    if (model.image_size) {
      const colour = model.channels === 1 ? "grayscale" : model.channels === 3 ? "colour" : `${model.channels} channels`;
      meta.push(`${model.image_size}×${model.image_size} ${colour}`);
    }
    const n = (model.classes || []).length;
    meta.push(n ? `${n} classes` : "unconditional");
  }
  els.modelMeta.textContent = meta.join(" · ");

  els.modelMetrics.replaceChildren();
  const metrics = (model && model.metrics) || {};
  for (const [key, label, shown] of shownMetrics(metrics)) {
    const item = document.createElement("div");
    item.className = "metrics__item";
    const dt = document.createElement("dt");
    dt.textContent = label;
    dt.title = key;
    const dd = document.createElement("dd");
    dd.textContent = shown;
    item.append(dt, dd);
    els.modelMetrics.append(item);
  }
  els.modelMetrics.hidden = els.modelMetrics.childElementCount === 0;
  // A model trained from your images says where it came from; shipped ones do not, and cannot be deleted.
  els.modelActions.hidden = !(model && model.origin);

  // Repopulate the class picker, keeping the chosen class if the new model has it too.
  const previous = els.klass.value;
  const classes = (model && model.classes) || [];
  const options = [new Option(classes.length ? "Any class" : "No classes (unconditional)", "")];
  for (const c of classes) options.push(new Option(String(c), String(c)));
  els.klass.replaceChildren(...options);
  els.klass.value = classes.map(String).includes(previous) ? previous : "";
  els.klass.disabled = classes.length === 0;
}

/** A short note under the model's details (after a deletion); empty hides it. */
function showModelNotice(text) {
  els.modelNotice.textContent = text;
  els.modelNotice.hidden = !text;
}

async function onDeleteModel() {
  const model = modelById(els.model.value);
  if (!model || !model.origin) return;
  const sure = window.confirm(`Delete the model “${model.id}”?\n\nIt is removed from this server for good, and its ` +
    "id can be given to a new model. Images you have made with it are not affected.");
  if (!sure) return;
  clearError();
  els.deleteModel.setAttribute("aria-disabled", "true");
  try {
    await api(`${API}/models/${encodeURIComponent(model.id)}`, { method: "DELETE" });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) { // 404: already gone, which is what was asked
      showError(`“${model.id}” was not deleted`, err instanceof ApiError ? err.message : String(err));
      return;
    }
  } finally {
    els.deleteModel.removeAttribute("aria-disabled");
  }
  forgetModel(model.id);
  showModelNotice(`Deleted “${model.id}”.`);
}

/** Takes a deleted model out of the picker and shows the next one; with none left, the server's page says so. */
function forgetModel(id) {
  const at = models.findIndex((m) => m.id === id);
  if (at >= 0) models.splice(at, 1);
  for (const option of [...els.model.options]) {
    if (option.value === id) option.remove();
  }
  if (!models.length) {
    window.location.reload();
    return;
  }
  showModel(modelById(els.model.value) || models[0]);
}

// ---------------------------------------------------------------- form values and validation

function setFieldError(input, message) {
  const error = $(`${input.id}-error`);
  if (message) {
    input.setAttribute("aria-invalid", "true");
    if (error) {
      error.textContent = message;
      error.hidden = false;
    }
  } else {
    input.removeAttribute("aria-invalid");
    if (error) {
      error.textContent = "";
      error.hidden = true;
    }
  }
}

/** An integer read from a number input, checked against the input's own min/max; returns [value, error]. */
function readInteger(input, { name, optional }) {
  const raw = input.value.trim();
  if (input.validity && input.validity.badInput) return [undefined, `The ${name} must be a whole number.`];
  if (raw === "") {
    if (optional) return [undefined, null];
    return [undefined, `Enter a ${name}.`];
  }
  const value = Number(raw);
  if (!Number.isInteger(value)) return [undefined, `The ${name} must be a whole number.`];
  const min = input.min === "" ? -Infinity : Number(input.min);
  const max = input.max === "" ? Infinity : Number(input.max);
  if (value < min || value > max) return [undefined, `The ${name} must be between ${input.min} and ${input.max}.`];
  return [value, null];
}

/** The request body from the form, or null after marking the fields that are wrong. */
function readRequest() {
  let firstBad = null;
  const [seed, seedError] = readInteger(els.seed, { name: "seed", optional: true });
  setFieldError(els.seed, seedError);
  if (seedError) firstBad = firstBad || els.seed;

  const [count, countError] = readInteger(els.count, { name: "count", optional: false });
  setFieldError(els.count, countError);
  if (countError) firstBad = firstBad || els.count;

  if (firstBad) {
    firstBad.focus();
    return null;
  }
  const body = { model: els.model.value, count, truncation: Number(els.truncation.value) };
  if (seed !== undefined) body.seed = seed;
  if (els.klass.value !== "") body.class = els.klass.value;
  return body;
}

/** A whole number written in decimal digits only ("1e3", "0x10", "7.0" and " 7" are not), or null. */
function wholeNumber(value) {
  const text = String(value);
  return /^\d{1,16}$/.test(text) ? Number(text) : null;
}

/**
 * Puts request parameters into the form (from a link's query, or a finished job's params), checking each against
 * this server's models and the form's limits. Returns a sentence for each value that could not be used.
 */
function applyParams(params) {
  const problems = [];
  const has = (key) => params[key] !== undefined && params[key] !== null && params[key] !== "";

  if (has("model")) {
    const model = modelById(String(params.model));
    if (model) {
      els.model.value = model.id;
      showModel(model);
    } else {
      problems.push(`There is no model “${params.model}” on this server; ${els.model.value} is selected instead.`);
    }
  }

  if (has("class")) {
    const model = modelById(els.model.value);
    const classes = ((model && model.classes) || []).map(String);
    if (classes.includes(String(params.class))) {
      els.klass.value = String(params.class);
    } else {
      els.klass.value = "";
      problems.push(classes.length
        ? `${els.model.value} has no class “${params.class}”; any class is drawn instead.`
        : `${els.model.value} draws no classes, so the class “${params.class}” was left out.`);
    }
  } else if ("class" in params) {
    els.klass.value = ""; // an explicit null: any class
  }

  if (has("seed")) {
    const seed = wholeNumber(params.seed);
    if (seed !== null && seed <= Number(els.seed.max)) {
      els.seed.value = String(seed);
    } else {
      els.seed.value = "";
      problems.push(`The seed “${params.seed}” is not a whole number from 0 to ${els.seed.max}; a random seed is used.`);
    }
  } else if ("seed" in params) {
    els.seed.value = "";
  }

  if (has("count")) {
    const count = wholeNumber(params.count);
    if (count !== null && count >= Number(els.count.min) && count <= Number(els.count.max)) {
      els.count.value = String(count);
    } else {
      problems.push(`The count “${params.count}” is not between ${els.count.min} and ${els.count.max}; ` +
        `${els.count.value} is used.`);
    }
  }

  if (has("truncation")) {
    const text = String(params.truncation).trim();
    const value = /^\d*\.?\d+$/.test(text) ? Number(text) : NaN;
    if (value >= Number(els.truncation.min) && value <= Number(els.truncation.max)) {
      // A value between the slider's steps (0.73 from the API) is kept exactly, so a re-run draws the same pixels.
      const steps = (value - Number(els.truncation.min)) / 0.05;
      els.truncation.step = Math.abs(steps - Math.round(steps)) < 1e-6 ? "0.05" : "any";
      els.truncation.value = String(value);
    } else {
      problems.push(`The truncation “${params.truncation}” is not between ${els.truncation.min} and ` +
        `${els.truncation.max}; ${Number(els.truncation.value).toFixed(2)} is used.`);
    }
  }
  showTruncation();
  setFieldError(els.seed, null);
  setFieldError(els.count, null);
  return problems;
}

/** Prefills the form from the page's query (?model=&class=&seed=&count=&truncation=), saying what was not used. */
function prefillFromLink() {
  const query = new URLSearchParams(window.location.search);
  const params = {};
  for (const key of ["model", "class", "seed", "count", "truncation"]) {
    if (query.has(key)) params[key] = query.get(key).trim();
  }
  if (Object.keys(params).length === 0) return;
  const problems = applyParams(params);
  els.linkNoticeList.replaceChildren(...problems.map((text) => {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  }));
  els.linkNotice.hidden = problems.length === 0;
}

function randomSeed() {
  const buf = new Uint32Array(1);
  crypto.getRandomValues(buf);
  return buf[0];
}

function showTruncation() {
  const { min, max, value } = els.truncation;
  els.truncationValue.textContent = Number(value).toFixed(2);
  const fill = ((Number(value) - Number(min)) / (Number(max) - Number(min))) * 100;
  els.truncation.style.setProperty("--fill", `${fill}%`);
}

// ---------------------------------------------------------------- messages, status and progress

function showError(title, message) {
  els.formErrorTitle.textContent = title;
  els.formErrorMessage.textContent = message || "";
  els.formErrorMessage.hidden = !message;
  els.formError.hidden = false;
  els.formError.scrollIntoView({ block: "nearest", behavior: smoothScroll() });
}

function smoothScroll() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
}

/** Brings the progress bar into view when the person has scrolled away from it (e.g. down a long gallery). */
function revealStatus() {
  const box = els.status.getBoundingClientRect();
  if (box.bottom < 0 || box.top > window.innerHeight) {
    els.status.scrollIntoView({ block: "center", behavior: smoothScroll() });
  }
}

function clearError() {
  els.formError.hidden = true;
  els.formErrorTitle.textContent = "";
  els.formErrorMessage.textContent = "";
}

/** state: idle | submitting | queued | running | succeeded | failed */
function setStatus(state, text, progress) {
  els.status.dataset.state = state;
  els.statusText.textContent = text;
  const busy = state === "submitting" || state === "queued" || state === "running";
  const known = typeof progress === "number" && Number.isFinite(progress);
  const pct = known ? Math.round(Math.min(1, Math.max(0, progress)) * 100) : 0;
  els.progressBar.style.width = `${state === "succeeded" ? 100 : pct}%`;
  els.progress.setAttribute("aria-valuenow", String(state === "succeeded" ? 100 : pct));
  els.progress.dataset.indeterminate = String(busy && !(state === "running" && pct > 0));
  els.statusPercent.textContent = state === "running" && pct > 0 ? `${pct}%` : "";
  els.gallery.setAttribute("aria-busy", String(busy));
  els.submit.disabled = busy;
  els.submit.setAttribute("aria-busy", String(busy));
  els.submit.querySelector(".button__label").textContent = busy ? "Generating…" : "Generate";
  // aria-disabled, not disabled: a disabled button would drop the keyboard focus of whoever pressed it.
  els.rerun.setAttribute("aria-disabled", String(busy));
  els.editParams.setAttribute("aria-disabled", String(busy));
}

// ---------------------------------------------------------------- results

function withDownload(url) {
  return url + (url.includes("?") ? "&" : "?") + "download=1";
}

function svgElement(tag, attributes) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  return el;
}

function downloadIcon() {
  const svg = svgElement("svg", {
    viewBox: "0 0 24 24", width: "16", height: "16", "aria-hidden": "true", focusable: "false",
  });
  const path = svgElement("path", {
    d: "M12 4v11m0 0-4.5-4.5M12 15l4.5-4.5M5 19.5h14", fill: "none", stroke: "currentColor",
    "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round",
  });
  svg.append(path);
  return svg;
}

function imageFilename(modelId, image) {
  return `${modelId}-s${image.seed}-${String(image.index).padStart(3, "0")}.png`;
}

function classOf(image) {
  return image.class === null || image.class === undefined ? null : String(image.class);
}

/** What can be done with one result, for its tile and the large view: explore it, or upscale it. */
function resultActions(job, image) {
  return [...imageActions(job, image), upscaleAction(job, image)];
}

/** "Variations", "Interpolate" and "Upscale ×4" under a tile; the second reads "Interpolate to here" once an end
 * is picked. */
function exploreButtons(job, image) {
  const row = document.createElement("div");
  row.className = "tile__explore";
  resultActions(job, image).forEach((action, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `tile__action${i === 1 ? " tile__action--interpolate" : ""}`;
    button.textContent = action.label;
    button.setAttribute("aria-label", `${action.label}: image ${image.index + 1} (seed ${image.seed})`);
    // Asked again at click time: the pick state may have changed since the tile was drawn.
    button.addEventListener("click", () => resultActions(job, image)[i].run());
    row.append(button);
  });
  return row;
}

onPickChange(() => {
  for (const button of document.querySelectorAll(".tile__action--interpolate")) {
    button.textContent = interpolateLabel();
  }
});

function imageFigure(image, scale, size, modelId, onOpen, job) {
  const figure = document.createElement("figure");
  figure.className = "tile";

  const frame = document.createElement("div");
  frame.className = "tile__frame";
  const img = document.createElement("img");
  img.className = "tile__img";
  img.src = image.url;
  img.width = size * scale;
  img.height = size * scale;
  img.decoding = "async";
  const cls = classOf(image);
  img.alt = cls !== null ? `Generated “${cls}”, seed ${image.seed}` : `Generated image, seed ${image.seed}`;
  img.addEventListener("error", () => {
    figure.classList.add("tile--broken");
    img.alt = `Image ${image.index + 1} could not be loaded`;
  });
  const open = document.createElement("button");
  open.type = "button";
  open.className = "tile__open";
  open.title = "Open large";
  open.setAttribute("aria-label", `Open image ${image.index + 1} large (seed ${image.seed})`);
  open.addEventListener("click", () => onOpen(image.index, open));
  open.append(img);
  frame.append(open);

  const caption = document.createElement("figcaption");
  caption.className = "tile__caption";
  const seed = document.createElement("span");
  seed.className = "tile__seed";
  seed.title = "Seed";
  seed.textContent = String(image.seed);
  caption.append(seed);
  if (cls !== null) {
    const badge = document.createElement("span");
    badge.className = "tile__class";
    badge.title = "Class";
    badge.textContent = cls;
    caption.append(badge);
  }
  const link = document.createElement("a");
  link.className = "tile__download";
  link.href = withDownload(image.url);
  link.download = imageFilename(modelId, image);
  link.setAttribute("aria-label", `Download image ${image.index + 1} (seed ${image.seed})`);
  link.title = "Download this image";
  link.append(downloadIcon());
  caption.append(link);

  figure.append(frame, caption);
  if (job) figure.append(exploreButtons(job, image));
  return figure;
}

/** Whole-number upscaling for a model's images: pixels stay square and crisp. */
function displayScale(size) {
  return Math.max(1, Math.round(DISPLAY_TARGET_PX / size));
}

/** Placeholder tiles shown while the first images are made, the same size as the images to come. */
function showSkeleton(count, model) {
  const size = (model && model.image_size) || 28;
  const grid = document.createElement("div");
  grid.className = "gallery__grid gallery__grid--skeleton";
  grid.setAttribute("aria-hidden", "true");
  grid.style.setProperty("--tile-size", `${size * displayScale(size)}px`);
  for (let i = 0; i < Math.min(count, 64); i++) {
    const tile = document.createElement("div");
    tile.className = "tile tile--skeleton";
    tile.style.setProperty("--i", String(i));
    const frame = document.createElement("div");
    frame.className = "tile__frame";
    const caption = document.createElement("div");
    caption.className = "tile__caption";
    tile.append(frame, caption);
    grid.append(tile);
  }
  els.gallery.replaceChildren(grid);
}

function hasResults() {
  return els.gallery.querySelector(".gallery__grid:not(.gallery__grid--skeleton)") !== null;
}

/** After a failure: previous results come back to full strength; with none, the empty placeholder returns. */
function restoreGallery() {
  els.gallery.classList.remove("gallery--stale");
  if (!hasResults()) els.gallery.replaceChildren(els.galleryEmpty);
}

function showResults(job, request) {
  const params = job.params || {};
  const model = modelById(params.model) || modelById(els.model.value);
  const size = (model && model.image_size) || 28;
  const scale = displayScale(size);
  const modelId = params.model || (model && model.id) || "image";
  const images = Array.isArray(job.images) ? job.images : [];

  const grid = document.createElement("div");
  grid.className = "gallery__grid";
  grid.style.setProperty("--tile-size", `${size * scale}px`);
  const open = (index, opener) => openLightbox(lightboxItems(job, modelId), {
    start: images.findIndex((im) => im.index === index), label: `${modelId}: large view`, returnFocus: opener,
  });
  for (const image of images) grid.append(imageFigure(image, scale, size, modelId, open, job));
  els.gallery.replaceChildren(grid);
  els.gallery.classList.remove("gallery--stale");

  const parts = [`${images.length} ${images.length === 1 ? "image" : "images"}`];
  parts.push(params.class !== null && params.class !== undefined ? `class ${params.class}` : "any class");
  if (params.seed !== undefined && params.seed !== null) parts.push(`seed ${params.seed}`);
  if (typeof params.truncation === "number") parts.push(`truncation ${params.truncation.toFixed(2)}`);
  if (job.cache_hit) {
    parts.push("from cache");
  } else {
    const secs = elapsedSeconds(job);
    if (secs !== null) parts.push(job.device ? `${secs} s on ${job.device}` : `${secs} s`);
  }
  els.summary.textContent = `${modelId}: ${parts.join(" · ")}`;

  if (job.grid_url) {
    els.gridDownload.href = withDownload(job.grid_url);
    els.gridDownload.download = `${modelId}-s${params.seed ?? "grid"}-grid.png`;
    els.gridDownload.hidden = false;
  }
  els.resultsActions.hidden = false;
  const seeded = params.seed !== undefined && params.seed !== null;
  els.rerun.title = request && request.seed === undefined
    ? "Run the same settings again with a new random seed"
    : `Run the same parameters again${seeded ? ` (seed ${params.seed})` : ""}`;
}

/** One large-view item per image: its seed and class as the title, and a download of its own PNG. */
function lightboxItems(job, modelId) {
  const params = job.params || {};
  const images = Array.isArray(job.images) ? job.images : [];
  return images.map((image, i) => {
    const cls = classOf(image);
    const details = [modelId, `image ${i + 1} of ${images.length}`];
    if (typeof params.truncation === "number") details.push(`truncation ${params.truncation.toFixed(2)}`);
    return {
      src: image.url,
      alt: cls !== null ? `Generated “${cls}”, seed ${image.seed}` : `Generated image, seed ${image.seed}`,
      title: cls !== null ? `Seed ${image.seed} · class ${cls}` : `Seed ${image.seed}`,
      details: details.join(" · "),
      download: { href: withDownload(image.url), filename: imageFilename(modelId, image), label: "Download PNG" },
      get actions() { return resultActions(job, image); }, // read when shown, so the pick state is current
    };
  });
}

/** How long the work took: the worker's own timing when the API reports it, else the job's timestamps. */
function elapsedSeconds(job) {
  if (typeof job.duration_ms === "number" && Number.isFinite(job.duration_ms)) {
    return (job.duration_ms / 1000).toFixed(job.duration_ms < 10000 ? 2 : 1);
  }
  const start = Date.parse(job.created_at);
  const end = Date.parse(job.finished_at);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return null;
  return ((end - start) / 1000).toFixed(1);
}

// ---------------------------------------------------------------- submit

async function onSubmit(event) {
  event.preventDefault();
  clearError();
  const body = readRequest();
  if (!body) {
    setStatus("idle", "Fix the highlighted fields, then generate again.");
    return;
  }
  await generate(body);
}

/** Sends one generate request, follows the job and shows its images (or why there are none). */
async function generate(body) {
  const run = ++currentRun;
  // Previous images stay in place, dimmed, while the new ones are made; a first run gets placeholder tiles.
  if (hasResults()) els.gallery.classList.add("gallery--stale");
  else showSkeleton(body.count, modelById(body.model));
  setStatus("submitting", "Sending…");
  revealStatus();
  try {
    const accepted = await api(`${API}/jobs/generate`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (run !== currentRun) return;
    rememberJob({ id: accepted.id, kind: "generate", params: body }); // the Jobs page lists it from now on
    setStatus("queued", "Queued, waiting for a worker…");
    const statusUrl = accepted.status_url || `${API}/jobs/${encodeURIComponent(accepted.id)}`;
    const job = await pollJob(statusUrl, {
      cancelled: () => run !== currentRun, // a newer submission took over
      onRetry: () => setStatus("running", "Connection lost, retrying…"),
      onUpdate: (update) => {
        if (update.status === "running") {
          const progress = update.progress || 0;
          setStatus("running", progress > 0 ? "Generating…" : "Starting…", progress);
        } else {
          setStatus("queued", "Queued, waiting for a worker…");
        }
      },
    });
    if (job === null) return;
    if (job.status === "failed") {
      const err = job.error || {};
      setStatus("failed", "The job failed.");
      showError("The job failed", err.message || "The worker could not finish this job.");
      restoreGallery();
      return;
    }
    shown = { job, request: body };
    showResults(job, body);
    const n = (job.images || []).length;
    setStatus("succeeded", `Done: ${n} ${n === 1 ? "image" : "images"}.`, 1);
  } catch (err) {
    if (run !== currentRun) return;
    const title = err instanceof ApiError ? err.title : "Something went wrong";
    const message = err instanceof ApiError ? err.message : String(err);
    setStatus("failed", `Not generated: ${title}.`);
    showError(title, message);
    restoreGallery();
  }
}

// ---------------------------------------------------------------- wiring

if (form) {
  els.modelPreviewImg.addEventListener("load", fitPreview);
  els.modelPreviewImg.addEventListener("error", () => {
    els.modelPreview.hidden = true; // a preview that cannot be loaded is not shown at all
    els.modelPreviewImg.removeAttribute("src"); // and is asked for again when its model is picked again
  });
  new ResizeObserver(fitPreview).observe(els.modelPreviewImg.parentElement);
  showModel(modelById(els.model.value) || models[0] || null);
  showTruncation();
  setStatus("idle", "Ready.");

  els.model.addEventListener("change", () => {
    showModelNotice("");
    showModel(modelById(els.model.value));
  });
  els.deleteModel.addEventListener("click", () => {
    if (els.deleteModel.getAttribute("aria-disabled") !== "true") onDeleteModel();
  });
  els.truncation.addEventListener("input", showTruncation);
  els.dice.addEventListener("click", () => {
    els.seed.value = String(randomSeed());
    setFieldError(els.seed, null);
    els.dice.classList.remove("is-rolling");
    void els.dice.offsetWidth; // restart the little roll animation
    els.dice.classList.add("is-rolling");
  });
  for (const input of [els.seed, els.count]) {
    input.addEventListener("input", () => setFieldError(input, null));
  }
  form.addEventListener("submit", onSubmit);

  els.rerun.addEventListener("click", () => {
    if (!shown || els.rerun.getAttribute("aria-disabled") === "true") return;
    clearError();
    generate(shown.request);
  });
  els.editParams.addEventListener("click", () => {
    if (!shown || els.editParams.getAttribute("aria-disabled") === "true") return;
    els.linkNotice.hidden = true;
    applyParams(shown.job.params || {}); // with the seed the job really used, so it draws the same images
    els.model.focus({ preventScroll: true });
    form.scrollIntoView({ block: "nearest", behavior: smoothScroll() });
  });
  prefillFromLink();
}
