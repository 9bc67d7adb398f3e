// The train page: choose a zip of your images (checked here for type and size first, then fully by the server),
// name the model, start a training job, follow it (step, losses, time left, the latest sample grid), cancel it,
// and on success go and generate with the new model. Reloading the page (?job=<id>) follows the same job again.
//
// This entry module only wires the page together; the work lives in static/js/train/:
//   page.js  elements, limits, page state, error titles, the error box, status line and submit button
//   zip.js   choosing the zip (button, file input, drop) and its checks here; the model id the name gives
//   run.js   showing a job's record: summary, figures, samples, and how it ended
//   job.js   checking the form and starting the job, following it, cancelling it
//
// Plain modern JavaScript, no build step. Server data only reaches the page through textContent, attributes
// and createElement, never innerHTML.

import { setFieldError } from "./ui.js";
import { follow, jobInAddress, onCancel, onSubmit } from "./train/job.js";
import { els, form } from "./train/page.js";
import { fitSamples } from "./train/run.js";
import { bindZipInputs, showModelId } from "./train/zip.js";

bindZipInputs();
els.name.addEventListener("input", () => {
  showModelId();
  setFieldError(els.name, null);
});
form.addEventListener("submit", onSubmit);
els.cancel.addEventListener("click", onCancel);
els.samplesImg.addEventListener("load", fitSamples);
window.addEventListener("resize", fitSamples);

showModelId();
const resumeId = jobInAddress();
if (resumeId) follow(resumeId);
