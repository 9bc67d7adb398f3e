// Running a repair: sending the photo, task and mask, following the job, and showing its result beside the photo
// (auto repair's detected damage becomes the editable mask), plus /repair?from=<job id>, which re-opens a job's
// photo, mask and settings. Separate from loading and painting: this is the page's only conversation with the job
// API, and it reads the photo and mask the other modules prepared.

import { API, ApiError, api, apiBlob, jobUrl, pollJob } from "../api.js";
import { listJobs, rememberJob } from "../history.js";
import { decodeImage } from "../photo-file.js";
import { QUEUED, clearFormError, describeError, statusUpdates, withDownload } from "../ui.js";
import { TASK_DONE, TASK_NAMES, currentTask, els, form, painter, state, taskUsesMask } from "./state.js";
import { loadPhotoFile } from "./photo.js";
import { setStatus, showError } from "./status.js";
import { setComparing, showSigma, showTask, updateMaskLayer, updateMaskStats } from "./tools.js";

/** A file-name-safe stem of the photo's name, for the downloads. */
function stem(name) {
  const base = name.replace(/\.[^.]+$/, "").replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "");
  return base || "photo";
}

// ---------------------------------------------------------------- sending and following a job

export async function onSubmit(event) {
  event.preventDefault();
  clearFormError();
  if (state.busy) return;
  const photo = state.photo;
  if (!photo) {
    showError("No photo yet", "Choose, drop or paste a photo first.");
    els.photoChoose.focus();
    return;
  }
  const task = currentTask();
  if (!task) {
    showError("Choose a task", "None of the repair tasks is available on this server.");
    return;
  }
  const sigma = task !== "inpaint" && !els.sigmaBlind.checked ? Number(els.sigma.value) : null;
  const usedMask = taskUsesMask(task) && !painter.isEmpty();
  if (task === "inpaint" && !usedMask) {
    showError("Nothing marked to fill in", "Paint over the areas to repair (or load a mask file), then inpaint.");
    els.stage.focus({ preventScroll: true });
    return;
  }
  const body = new FormData();
  body.append("image", photo.file, photo.name);
  body.append("task", task);
  if (sigma !== null) body.append("sigma", String(sigma));
  const quality = els.qualityHigh.checked ? "high" : "standard";
  body.append("quality", quality);
  const run = ++state.run;
  setStatus("submitting", "Uploading…");
  try {
    if (usedMask) body.append("mask", await painter.toBlob(), "mask.png");
    const accepted = await api(`${API}/jobs/restore`, { method: "POST", body });
    if (run !== state.run) return;
    rememberJob({ id: accepted.id, kind: "restore", params: { task, sigma, quality, filename: photo.name } });
    const statusUrl = accepted.status_url || jobUrl(accepted.id);
    await followJob(statusUrl, run, { task, usedMask });
  } catch (err) {
    failRun(run, err);
  }
}

/** Polls a job to its end and shows the outcome (the run stops quietly when a newer one took over). */
async function followJob(statusUrl, run, { task, usedMask }) {
  setStatus("queued", QUEUED);
  const job = await pollJob(statusUrl, {
    cancelled: () => run !== state.run,
    ...statusUpdates(setStatus, `${TASK_NAMES[task]}: working…`),
  });
  if (job === null || run !== state.run) return;
  if (job.status === "failed") {
    const err = job.error || {};
    setStatus("failed", "The job failed.");
    showError("The job failed", err.message || "The worker could not finish this job.");
    return;
  }
  await showResult(job, run, { task, usedMask });
}

function failRun(run, err) {
  if (run !== state.run) return;
  const [title, message] = describeError(err);
  setStatus("failed", `Not repaired: ${title}.`);
  showError(title, message);
}

async function showResult(job, run, { task, usedMask }) {
  const images = Array.isArray(job.images) ? job.images : [];
  const result = images.find((im) => im.label === "result") || images[0];
  const detected = images.find((im) => im.label === "mask");
  if (!result) throw new ApiError("No result", "The job finished without an image.");
  const generation = state.photoGeneration;

  // The repaired photo, loaded before it replaces anything on screen.
  const after = new Image();
  after.src = result.url;
  try {
    await after.decode();
  } catch {
    throw new ApiError("The result could not be shown", "The repaired image did not load; try downloading it.");
  }
  if (run !== state.run || generation !== state.photoGeneration) return;
  els.afterImg.src = result.url;
  els.afterImg.alt = `${TASK_DONE[task]} photo`;
  state.result = { job, task, usedMask, url: result.url, maskUrl: detected ? detected.url : null };

  let note = "";
  if (task === "auto" && detected && !usedMask) {
    // The detected damage becomes the editable mask, shown over the photo.
    const mask = await decodeImage(await apiBlob(detected.url));
    URL.revokeObjectURL(mask.src);
    if (run !== state.run || generation !== state.photoGeneration) return;
    const painted = painter.load(mask);
    state.maskOrigin = "detected";
    els.showMask.checked = true;
    const share = (painted / (painter.width * painter.height)) * 100;
    note = painted === 0 ? " No damage was found; paint some to repair it."
      : ` Damage found on ${share < 0.1 ? "<0.1" : share.toFixed(1)}% of the photo, shown in red: edit it and re-run.`;
  } else if (task === "inpaint") {
    els.showMask.checked = false; // the fill is what to look at now
    note = " Mask hidden to show the fill (M shows it).";
  } else {
    note = " Drag the divider to compare before and after.";
  }
  updateMaskLayer();
  updateMaskStats();
  setComparing(true);

  const name = stem(state.photo.name);
  els.resultDownload.href = withDownload(result.url);
  els.resultDownload.download = `${name}-${task}.png`;
  els.resultDownload.hidden = false;
  if (detected) {
    els.maskDownload.href = withDownload(detected.url);
    els.maskDownload.download = `${name}-${task}-mask.png`;
  }
  els.maskDownload.hidden = !detected;
  els.summary.textContent = summaryText(job, task, result.noise_level);
  if (els.sigmaBlind.checked && typeof result.noise_level === "number") {
    // The slider waits at the level blind mode read, so "a little less" or "a little more" starts from there.
    els.sigma.value = String(Math.round(Math.min(result.noise_level, Number(els.sigma.max))));
    showSigma();
  }
  setStatus("succeeded", `Done.${note}`, 1);
}

function summaryText(job, task, level) {
  const p = job.params || {};
  const parts = [state.photo.name, `${state.photo.width}×${state.photo.height}`, TASK_NAMES[task]];
  if (task !== "inpaint") {
    // Blind: the denoiser read the noise level off the photo first; shown so a person can set the strength from it.
    parts.push(typeof p.sigma === "number" ? `strength ${p.sigma}`
      : typeof level === "number" ? `blind (noise level read as ${level.toFixed(1)})` : "blind");
  }
  if (p.quality === "high") parts.push("high quality");
  if (job.cache_hit) parts.push("from cache");
  else if (typeof job.duration_ms === "number") {
    const secs = (job.duration_ms / 1000).toFixed(job.duration_ms < 10000 ? 2 : 1);
    parts.push(job.device ? `${secs} s on ${job.device}` : `${secs} s`);
  }
  return parts.join(" · ");
}

/** /repair?from=<job id>: the job's photo, mask and settings, ready to edit and run again. */
export async function openFromJob(id) {
  const run = ++state.run;
  setStatus("idle", "Opening the job…");
  try {
    const job = await api(jobUrl(id));
    if (job.kind !== "restore") {
      throw new ApiError("Not a repair job", `Job ${id} is a ${job.kind} job; only repair jobs open here.`);
    }
    const base = `${jobUrl(id)}/input`;
    const blob = await apiBlob(`${base}/image`);
    const remembered = listJobs().find((e) => e.id === id);
    const ext = { "image/jpeg": "jpg", "image/webp": "webp", "image/tiff": "tif" }[blob.type] || "png";
    const filename = (remembered && remembered.params && remembered.params.filename) || `job-${id.slice(0, 8)}.${ext}`;
    if (run !== state.run) return;
    if (!(await loadPhotoFile(new File([blob], filename, { type: blob.type }), { quiet: true }))) {
      setStatus("failed", "The job's photo could not be opened.");
      return;
    }
    const params = job.params || {};
    const radio = form.querySelector(`input[name="task"][value="${CSS.escape(String(params.task))}"]`);
    if (radio && !radio.disabled) radio.checked = true;
    els.sigmaBlind.checked = typeof params.sigma !== "number";
    if (typeof params.sigma === "number") els.sigma.value = String(params.sigma);
    showSigma();
    els.qualityHigh.checked = params.quality === "high";
    if (params.mask) {
      const mask = await decodeImage(await apiBlob(`${base}/mask`));
      URL.revokeObjectURL(mask.src);
      if (run !== state.run) return;
      painter.load(mask, { undoable: false });
      state.maskOrigin = "job";
    }
    showTask();
    const task = params.task;
    const usedMask = Boolean(params.mask);
    if (job.status === "succeeded") {
      await showResult(job, run, { task, usedMask });
      if (run === state.run) setStatus("succeeded", `Opened job ${id.slice(0, 8)}: edit and repair again.`, 1);
    } else if (job.status === "failed") {
      setStatus("idle", `Opened job ${id.slice(0, 8)} (it had failed): adjust and repair again.`);
    } else {
      await followJob(jobUrl(id), run, { task, usedMask });
    }
  } catch (err) {
    failRun(run, err);
  }
}
