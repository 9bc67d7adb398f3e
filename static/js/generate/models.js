// The generate page's model picker: the selected model's description, size, measured metrics and preview grid,
// the class picker it implies, and deleting a model trained from your own images. Separate because it is the one
// part of the page about the server's models rather than one request; the form only asks it to show the model a
// link or a job names.

import { API, ApiError, api } from "../api.js";
import { clearFormError, el } from "../ui.js";
import { els, modelById, models, showError } from "./page.js";

// The measured metrics worth showing an artist, in this order; the rest stay in the API and the model card.
const percent = (v) => `${(v * 100).toFixed(1)}%`;
const fixed1 = (v) => v.toFixed(1);
const perMille = (v) => (v * 1000).toFixed(1);
const SHOWN_METRICS = [
  ["fd", "Fréchet distance to real", fixed1],
  ["fd_floor", "Real vs real (floor)", fixed1],
  ["fd_mlp", "Plain MLP GAN", fixed1],
  // KID has no small-sample bias (real vs real is ~0), so it reads right for small sets such as emoji
  ["kid", "Kernel distance ×1000 to real", perMille],
  ["kid_mlp", "Plain MLP GAN, kernel distance ×1000", perMille],
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

export function showModel(model) {
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
    const item = el("div", "metrics__item");
    const dt = el("dt", null, label);
    dt.title = key;
    item.append(dt, el("dd", null, shown));
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
  clearFormError();
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

// ---------------------------------------------------------------- wiring

/** Connects the picker, the preview grid's sizing and the delete button, then shows the selected model. */
export function bindModelPicker() {
  els.modelPreviewImg.addEventListener("load", fitPreview);
  els.modelPreviewImg.addEventListener("error", () => {
    els.modelPreview.hidden = true; // a preview that cannot be loaded is not shown at all
    els.modelPreviewImg.removeAttribute("src"); // and is asked for again when its model is picked again
  });
  new ResizeObserver(fitPreview).observe(els.modelPreviewImg.parentElement);
  showModel(modelById(els.model.value) || models[0] || null);

  els.model.addEventListener("change", () => {
    showModelNotice("");
    showModel(modelById(els.model.value));
  });
  els.deleteModel.addEventListener("click", () => {
    if (els.deleteModel.getAttribute("aria-disabled") !== "true") onDeleteModel();
  });
}
