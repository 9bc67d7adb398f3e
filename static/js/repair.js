// The repair page: load a photo (pick, drop, paste, or ?from=<job id>), choose a task, paint or load a mask,
// send the job, follow its progress, then compare before and after, edit auto's detected mask and run again.
//
// This entry module only wires the page together; the work lives in static/js/repair/:
//   state.js   elements, limits, page state, the mask painter and compare view
//   status.js  the error box, status line, progress bar and submit button
//   tools.js   task, strength, brush/eraser, mask hint, zoom, compare, keyboard
//   photo.js   loading the photo and mask files (pick, drop, paste, server preview)
//   job.js     sending the job, following it, showing the result, ?from=<job id>
//
// Plain modern JavaScript, no build step. Server data only reaches the page through textContent, attributes
// and createElement, never innerHTML.

import { clearFormError } from "./ui.js";
import { onSubmit, openFromJob } from "./repair/job.js";
import { bindPhotoInputs, readyText } from "./repair/photo.js";
import { els, form, state } from "./repair/state.js";
import { setStatus } from "./repair/status.js";
import { bindTools, setBrushSize, setTool, showSigma, showTask } from "./repair/tools.js";

if (form) {
  bindTools();
  bindPhotoInputs();
  els.taskPicker.addEventListener("change", () => {
    showTask();
    clearFormError();
    if (state.photo && !state.busy && !state.preparing && !state.result) setStatus("idle", readyText());
  });
  form.addEventListener("submit", onSubmit);

  showSigma();
  setBrushSize(Number(els.brushSize.value));
  setTool("brush");
  showTask();
  setStatus("idle", "Ready. Load a photo to begin.");

  const from = new URLSearchParams(window.location.search).get("from");
  if (from) openFromJob(from);
}
