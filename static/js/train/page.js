// The train page's shared state and messages: its elements, the server's limits (from the form's data- attributes),
// what is chosen and running, the titles for the server's error codes, and the error box, status line and submit
// button. Every other train module imports from here and nothing here imports them, so the modules form a chain
// without cycles.

import { ApiError } from "../api.js";
import { $, describeError, showFormError, showJobStatus } from "../ui.js";

// Titles for the server's error codes; the message under each is the server's own, naming the files.
export const ERROR_TITLES = {
  not_a_zip: "That is not a zip file",
  encrypted_zip: "The zip is password-protected",
  zip_bomb: "The zip was refused",
  too_many_files: "The zip holds too many files",
  unsafe_path: "The zip has unsafe file names",
  no_images: "No images in the zip",
  too_few_images: "Too few images",
  too_many_images: "Too many images",
  corrupt_images: "Some images are damaged",
  images_too_large: "Some images are too large",
  images_too_small: "Some images are too small",
  duplicate_images: "Some images are duplicates",
  too_large: "The zip is too large",
  expired: "The upload has expired",
};

export const form = $("train-form");
export const els = {
  zipCard: $("zip-card"), zipName: $("zip-name"), zipMeta: $("zip-meta"), zipChoose: $("zip-choose"),
  zipInput: $("zip-input"), name: $("name"), modelId: $("model-id"), steps: $("steps"), seed: $("seed"),
  submit: $("submit"), formError: $("form-error"), summary: $("run-summary"), cancel: $("cancel"),
  statusText: $("status-text"), stats: $("train-stats"), statStep: $("stat-step"), statEta: $("stat-eta"),
  statSpeed: $("stat-speed"), statD: $("stat-d"), statG: $("stat-g"), ready: $("ready"),
  readyTitle: $("ready-title"), readyText: $("ready-text"), readyGenerate: $("ready-generate"),
  runError: $("run-error"), runErrorTitle: $("run-error-title"), runErrorMessage: $("run-error-message"),
  samples: $("samples"), samplesEmpty: $("samples-empty"), samplesEmptyText: $("samples-empty-text"),
  samplesFigure: $("samples-figure"), samplesImg: $("samples-img"), samplesCaption: $("samples-caption"),
};

export const limits = {
  maxZipBytes: Number(form.dataset.maxZipBytes),
  minImages: Number(form.dataset.minImages),
  maxImages: Number(form.dataset.maxImages),
};

export const state = {
  zipFile: null, // the chosen File, once it passed the checks here
  following: 0, // incremented per followed job; an older loop stops when it sees a newer one
  busy: false, // a job of this page is queued or running
};

export const number = new Intl.NumberFormat();

// ---------------------------------------------------------------- messages, status and the submit button

/** [title, message] for a failure: the title for the server's error code when there is one, else the error's own. */
export function describeTrainError(err) {
  const [title, message] = describeError(err);
  return [(err instanceof ApiError && ERROR_TITLES[err.code]) || title, message];
}

/** Shows the error box and brings it into view. */
export function showError(title, message) {
  showFormError(title, message).scrollIntoView({ block: "nearest" });
}

/** Shows a failure in the run's own error notice (under the status line), not the form's. */
export function showRunError(title, message) {
  els.runErrorTitle.textContent = title;
  els.runErrorMessage.textContent = message;
  els.runError.hidden = false;
}

/** state: idle | submitting | queued | running | succeeded | failed | cancelled (shown as failed) */
export function setStatus(status, text, progress) {
  const active = showJobStatus(status === "cancelled" ? "failed" : status, text, progress);
  els.samples.setAttribute("aria-busy", String(active));
}

export function setBusy(value) {
  state.busy = value;
  els.submit.disabled = value;
  els.submit.setAttribute("aria-busy", String(value));
  els.submit.querySelector(".button__label").textContent = value ? "Training…" : "Start training";
}
