// Starting a training job (checking the form's fields, uploading the zip with them), following it by polling its
// record every second for as long as it trains (not api.js's pollJob, which gives up after minutes and treats
// "cancelled" as an error), and asking to cancel it. ?job=<id> in the address names the job followed.

import { API, ApiError, api, jobUrl } from "../api.js";
import { rememberJob } from "../history.js";
import { clearFormError, setFieldError } from "../ui.js";
import {
  ERROR_TITLES, describeTrainError, els, form, limits, number, setBusy, setStatus, showError, showRunError, state,
} from "./page.js";
import { render, resetRun } from "./run.js";

const POLL_MS = 1000; // a training job changes every second or so; its record is written at most 5 times a second
const NETWORK_RETRIES = 10; // failed status checks in a row tolerated (a server restart) before saying so
const UPLOAD_TIMEOUT_MS = 10 * 60 * 1000; // a 100 MB zip on a slow line

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The job named in the address (?job=<id>), or null. */
export function jobInAddress() {
  return new URLSearchParams(window.location.search).get("job");
}

function readForm() {
  let ok = true;
  const name = els.name.value.trim();
  setFieldError(els.name, name ? null : "Give the model a name.");
  ok &&= Boolean(name);
  const steps = Number(els.steps.value);
  const stepsOk = Number.isInteger(steps) && steps >= 1 && steps <= Number(els.steps.max);
  setFieldError(els.steps, stepsOk ? null : `Between 1 and ${number.format(Number(els.steps.max))}.`);
  ok &&= stepsOk;
  const seedText = els.seed.value.trim();
  const seed = Number(seedText);
  const seedOk = seedText === "" || (Number.isInteger(seed) && seed >= 0 && seed <= 4294967295);
  setFieldError(els.seed, seedOk ? null : "A whole number from 0 to 4294967295, or empty for a random one.");
  ok &&= seedOk;
  const size = form.querySelector('input[name="image_size"]:checked').value;
  return ok ? { name, steps, seed: seedText === "" ? null : seed, imageSize: Number(size) } : null;
}

export async function onSubmit(event) {
  event.preventDefault();
  if (state.busy) return;
  const zipFile = state.zipFile;
  if (!zipFile) {
    // A file refused here keeps its own explanation; otherwise say what is missing.
    if (els.zipCard.dataset.state !== "invalid" || els.formError.hidden) {
      showError("Choose your images first", `A .zip of ${limits.minImages} to ` +
        `${number.format(limits.maxImages)} images is needed.`);
    }
    return;
  }
  clearFormError();
  const values = readForm();
  if (!values) return;
  const body = new FormData();
  body.append("images", zipFile, zipFile.name);
  body.append("name", values.name);
  body.append("steps", String(values.steps));
  body.append("image_size", String(values.imageSize));
  if (values.seed !== null) body.append("seed", String(values.seed));

  setBusy(true);
  resetRun();
  setStatus("submitting", `Uploading and checking ${zipFile.name}…`, null);
  let created;
  try {
    created = await api(`${API}/jobs/train`, { method: "POST", body, timeoutMs: UPLOAD_TIMEOUT_MS });
  } catch (err) {
    setBusy(false);
    setStatus("idle", "Ready.", null);
    showError(...describeTrainError(err));
    if (err instanceof ApiError && ERROR_TITLES[err.code]) els.zipCard.dataset.state = "invalid";
    return;
  }
  rememberJob({ id: created.id, kind: "train", params: { name: values.name, steps: values.steps,
    image_size: values.imageSize, file: zipFile.name } });
  const url = new URL(window.location.href);
  url.searchParams.set("job", created.id);
  history.replaceState(null, "", url);
  follow(created.id);
}

/** Polls the job and shows each record until it ends (or a newer follow starts). */
export async function follow(jobId) {
  const run = ++state.following;
  setBusy(true);
  let failures = 0;
  for (;;) {
    let job;
    try {
      job = await api(jobUrl(jobId));
      failures = 0;
    } catch (err) {
      if (run !== state.following) return;
      if (err.code === "network" && ++failures <= NETWORK_RETRIES) {
        els.statusText.textContent = "The server is not answering; trying again…";
        await sleep(POLL_MS * 2);
        continue;
      }
      setBusy(false);
      setStatus("failed", err.status === 404 ? "This job no longer exists." : "Lost the job.", 1);
      showRunError(...describeTrainError(err));
      return;
    }
    if (run !== state.following) return;
    if (job.kind !== "train") {
      setBusy(false);
      showError("Not a training job", `Job ${jobId} is a ${job.kind} job; see it on the Jobs page.`);
      return;
    }
    render(job);
    if (!(job.status === "queued" || job.status === "running")) {
      setBusy(false);
      return;
    }
    await sleep(POLL_MS);
  }
}

export async function onCancel() {
  const jobId = jobInAddress();
  if (!jobId) return;
  els.cancel.disabled = true;
  els.statusText.textContent = "Cancelling…";
  try {
    await api(`${jobUrl(jobId)}/cancel`, { method: "POST" });
  } catch (err) {
    els.cancel.disabled = false;
    const [title, message] = describeTrainError(err);
    showError(err.status === 409 ? "Too late to cancel" : title, message);
  }
}
