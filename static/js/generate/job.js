// Sending a generate request and following it: submitting the form (or re-running the results on show), polling
// the job with progress, and handing the finished job to the results (or saying why there are none). Separate from
// the form and the gallery so the request's lifecycle (which run is current, what a failure leaves on screen)
// reads in one place.

import { API, api, jobUrl, pollJob } from "../api.js";
import { rememberJob } from "../history.js";
import { QUEUED, clearFormError, describeError, statusUpdates } from "../ui.js";
import { readRequest } from "./form.js";
import { els, modelById, revealStatus, setStatus, showError, state } from "./page.js";
import { hasResults, restoreGallery, showResults, showSkeleton } from "./results.js";

export async function onSubmit(event) {
  event.preventDefault();
  clearFormError();
  const body = readRequest();
  if (!body) {
    setStatus("idle", "Fix the highlighted fields, then generate again.");
    return;
  }
  await generate(body);
}

/** Sends one generate request, follows the job and shows its images (or why there are none). */
export async function generate(body) {
  const run = ++state.run;
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
    if (run !== state.run) return;
    rememberJob({ id: accepted.id, kind: "generate", params: body }); // the Jobs page lists it from now on
    setStatus("queued", QUEUED);
    const statusUrl = accepted.status_url || jobUrl(accepted.id);
    const job = await pollJob(statusUrl, {
      cancelled: () => run !== state.run, // a newer submission took over
      ...statusUpdates(setStatus, "Generating…"),
    });
    if (job === null) return;
    if (job.status === "failed") {
      const err = job.error || {};
      setStatus("failed", "The job failed.");
      showError("The job failed", err.message || "The worker could not finish this job.");
      restoreGallery();
      return;
    }
    state.shown = { job, request: body };
    showResults(job, body);
    const n = (job.images || []).length;
    setStatus("succeeded", `Done: ${n} ${n === 1 ? "image" : "images"}.`, 1);
  } catch (err) {
    if (run !== state.run) return;
    const [title, message] = describeError(err);
    setStatus("failed", `Not generated: ${title}.`);
    showError(title, message);
    restoreGallery();
  }
}
