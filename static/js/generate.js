// The generate page: model picker, request form (prefilled from a link such as the Jobs page's "Re-run"), job
// polling, the results gallery with its large view, and re-running or editing the last request.
//
// This entry module only wires the page together; the work lives in static/js/generate/:
//   page.js     elements, embedded models, page state, the error box and status line
//   models.js   the model picker: details, metrics, preview grid, deleting a trained model
//   form.js     reading, checking and prefilling the request form; seed dice, truncation
//   results.js  the gallery tiles, summary, grid download and large view
//   job.js      sending a request and following its job
//
// Plain modern JavaScript, no build step. Server data is only ever put into the page with textContent,
// attributes and createElement, never innerHTML.

import { clearFormError, smoothScroll } from "./ui.js";
import { applyParams, bindFormFields, prefillFromLink, showTruncation } from "./generate/form.js";
import { generate, onSubmit } from "./generate/job.js";
import { bindModelPicker } from "./generate/models.js";
import { els, form, setStatus, state } from "./generate/page.js";

if (form) {
  bindModelPicker();
  showTruncation();
  setStatus("idle", "Ready.");
  bindFormFields();
  form.addEventListener("submit", onSubmit);

  els.rerun.addEventListener("click", () => {
    if (!state.shown || els.rerun.getAttribute("aria-disabled") === "true") return;
    clearFormError();
    generate(state.shown.request);
  });
  els.editParams.addEventListener("click", () => {
    if (!state.shown || els.editParams.getAttribute("aria-disabled") === "true") return;
    els.linkNotice.hidden = true;
    applyParams(state.shown.job.params || {}); // with the seed the job really used, so it draws the same images
    els.model.focus({ preventScroll: true });
    form.scrollIntoView({ block: "nearest", behavior: smoothScroll() });
  });
  prefillFromLink();
}
