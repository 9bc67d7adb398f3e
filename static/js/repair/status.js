// The repair page's messages and status: the error box, the status line with its progress bar, and the submit
// button's label and busy state, which follow both the job and the task and mask. Separate from the tools and the
// job modules because both of them (and the photo loader) report through it.

import { showFormError, showJobStatus, smoothScroll } from "../ui.js";
import { TASK_NAMES, currentTask, els, painter, state } from "./state.js";

/** Shows the error box, scrolling it into view only when it is outside the window. */
export function showError(title, message) {
  const box = showFormError(title, message);
  const rect = box.getBoundingClientRect();
  if (rect.top < 0 || rect.bottom > window.innerHeight) {
    box.scrollIntoView({ block: "nearest", behavior: smoothScroll() });
  }
}

/** status: idle | preparing (a photo's preview) | submitting | queued | running | succeeded | failed */
export function setStatus(status, text, progress) {
  const preparing = status === "preparing";
  const busy = showJobStatus(status, text, progress, { pending: preparing });
  state.busy = busy;
  state.preparing = preparing;
  els.stage.setAttribute("aria-busy", String(busy));
  els.afterImg.classList.toggle("is-stale", busy);
  els.submit.disabled = busy || preparing; // while preparing, the photo shown is about to be replaced
  els.submit.setAttribute("aria-busy", String(busy || preparing));
  updateSubmitLabel();
}

export function updateSubmitLabel() {
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
