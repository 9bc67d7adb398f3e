// The generate page's shared state and messages: its elements, the models the server embedded, the run counter
// and the results on show, plus the error box and the status line with its progress bar. Every other generate
// module imports from here and nothing here imports them, so the modules form a chain without cycles.

import { $, readEmbeddedJson, showFormError, showJobStatus, smoothScroll } from "../ui.js";

export const form = $("generate-form");
export const els = {
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
  status: $("status"),
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

/** The models list the server embedded in the page as JSON (a deleted model is taken out of it). */
export const models = (() => {
  const data = readEmbeddedJson("models-data", []);
  return Array.isArray(data) ? data : [];
})();

export const state = {
  run: 0, // incremented per submission; an older run's poll loop stops when it sees a newer one
  shown: null, // { job, request }: the results in the gallery and the request that made them
};

export function modelById(id) {
  return models.find((m) => m.id === id) || null;
}

// ---------------------------------------------------------------- messages, status and progress

/** Shows the error box and scrolls it into view (within the sticky controls column, too). */
export function showError(title, message) {
  showFormError(title, message).scrollIntoView({ block: "nearest", behavior: smoothScroll() });
}

/** Brings the progress bar into view when the person has scrolled away from it (e.g. down a long gallery). */
export function revealStatus() {
  const box = els.status.getBoundingClientRect();
  if (box.bottom < 0 || box.top > window.innerHeight) {
    els.status.scrollIntoView({ block: "center", behavior: smoothScroll() });
  }
}

/** status: idle | submitting | queued | running | succeeded | failed */
export function setStatus(status, text, progress) {
  const busy = showJobStatus(status, text, progress);
  els.gallery.setAttribute("aria-busy", String(busy));
  els.submit.disabled = busy;
  els.submit.setAttribute("aria-busy", String(busy));
  els.submit.querySelector(".button__label").textContent = busy ? "Generating…" : "Generate";
  // aria-disabled, not disabled: a disabled button would drop the keyboard focus of whoever pressed it.
  els.rerun.setAttribute("aria-disabled", String(busy));
  els.editParams.setAttribute("aria-disabled", String(busy));
}
