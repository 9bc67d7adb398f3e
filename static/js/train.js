// The train page: choose a zip of your images (checked here for type and size first, then fully by the server),
// name the model, start a training job, follow it (step, losses, time left, the latest sample grid), cancel it,
// and on success go and generate with the new model. Reloading the page (?job=<id>) follows the same job again.
//
// Server data only reaches the page through textContent, attributes and createElement, never innerHTML.

import { API, ApiError, api } from "./api.js";
import { rememberJob } from "./history.js";

const POLL_MS = 1000; // a training job changes every second or so; its record is written at most 5 times a second
const NETWORK_RETRIES = 10; // failed status checks in a row tolerated (a server restart) before saying so
const UPLOAD_TIMEOUT_MS = 10 * 60 * 1000; // a 100 MB zip on a slow line
const ZIP_MAGIC = [[0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x05, 0x06]]; // a zip's first bytes (with files; empty)

// Titles for the server's error codes; the message under each is the server's own, naming the files.
const ERROR_TITLES = {
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

const $ = (id) => document.getElementById(id);
const form = $("train-form");
const els = {
  zipCard: $("zip-card"), zipName: $("zip-name"), zipMeta: $("zip-meta"), zipChoose: $("zip-choose"),
  zipInput: $("zip-input"), name: $("name"), modelId: $("model-id"), steps: $("steps"), seed: $("seed"),
  submit: $("submit"), formError: $("form-error"), formErrorTitle: $("form-error-title"),
  formErrorMessage: $("form-error-message"), summary: $("run-summary"), cancel: $("cancel"),
  status: $("status"), statusText: $("status-text"), statusPercent: $("status-percent"), progress: $("progress"),
  progressBar: $("progress-bar"), stats: $("train-stats"), statStep: $("stat-step"), statEta: $("stat-eta"),
  statSpeed: $("stat-speed"), statD: $("stat-d"), statG: $("stat-g"), ready: $("ready"),
  readyTitle: $("ready-title"), readyText: $("ready-text"), readyGenerate: $("ready-generate"),
  runError: $("run-error"), runErrorTitle: $("run-error-title"), runErrorMessage: $("run-error-message"),
  samples: $("samples"), samplesEmpty: $("samples-empty"), samplesEmptyText: $("samples-empty-text"),
  samplesFigure: $("samples-figure"), samplesImg: $("samples-img"), samplesCaption: $("samples-caption"),
};
const limits = {
  maxZipBytes: Number(form.dataset.maxZipBytes),
  minImages: Number(form.dataset.minImages),
  maxImages: Number(form.dataset.maxImages),
};

let zipFile = null; // the chosen File, once it passed the checks here
let following = 0; // incremented per followed job; an older loop stops when it sees a newer one
let busy = false; // a job of this page is queued or running

// ---------------------------------------------------------------- small helpers

const number = new Intl.NumberFormat();

function formatBytes(n) {
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** The id the server will give a model of this name (worker/user_models.py model_id_for), before any -2. */
function modelIdFor(name) {
  const letters = name.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
  const slug = letters.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  return slug || "my-model";
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- messages

function showFormError(title, message) {
  els.formErrorTitle.textContent = title;
  els.formErrorMessage.textContent = message || "";
  els.formErrorMessage.hidden = !message;
  els.formError.hidden = false;
  els.formError.scrollIntoView({ block: "nearest" });
}

function clearFormError() {
  els.formError.hidden = true;
}

function setFieldError(input, message) {
  const error = $(`${input.id}-error`);
  input.toggleAttribute("aria-invalid", Boolean(message));
  if (error) {
    error.textContent = message || "";
    error.hidden = !message;
  }
}

function errorTitle(err) {
  return (err instanceof ApiError && ERROR_TITLES[err.code]) || err.title || "Something went wrong";
}

// ---------------------------------------------------------------- the zip

async function startsLikeAZip(file) {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return ZIP_MAGIC.some((magic) => magic.every((byte, i) => head[i] === byte));
}

/** Checks what can be checked here (the server checks everything else), then shows the file in the card. */
async function chooseZip(file) {
  clearFormError();
  zipFile = null;
  els.zipCard.dataset.state = "invalid";
  els.zipName.textContent = file.name;
  els.zipMeta.textContent = formatBytes(file.size);
  if (file.size > limits.maxZipBytes) {
    showFormError("The zip is too large", `${file.name} is ${formatBytes(file.size)}; the limit is ` +
      `${formatBytes(limits.maxZipBytes)}. Use fewer or smaller images.`);
    return;
  }
  if (!(await startsLikeAZip(file))) {
    showFormError("That is not a zip file", `${file.name} is not a .zip archive. Put your images in a folder, ` +
      "compress it to a .zip and choose that.");
    return;
  }
  zipFile = file;
  els.zipCard.dataset.state = "loaded";
  els.zipMeta.textContent = `${formatBytes(file.size)} · checked by the server when you start`;
  if (!els.name.value.trim()) {
    els.name.value = file.name.replace(/\.zip$/i, "").replace(/[_-]+/g, " ").trim().slice(0, 60);
    showModelId();
  }
}

function showModelId() {
  els.modelId.textContent = els.name.value.trim() ? modelIdFor(els.name.value) : "";
}

// ---------------------------------------------------------------- starting a job

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

async function onSubmit(event) {
  event.preventDefault();
  if (busy) return;
  if (!zipFile) {
    // A file refused here keeps its own explanation; otherwise say what is missing.
    if (els.zipCard.dataset.state !== "invalid" || els.formError.hidden) {
      showFormError("Choose your images first", `A .zip of ${limits.minImages} to ` +
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
    showFormError(errorTitle(err), err.message);
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

// ---------------------------------------------------------------- following a job

function setBusy(value) {
  busy = value;
  els.submit.disabled = value;
  els.submit.setAttribute("aria-busy", String(value));
  els.submit.querySelector(".button__label").textContent = value ? "Training…" : "Start training";
}

/** state: idle | submitting | queued | running | succeeded | failed | cancelled */
function setStatus(state, text, progress) {
  els.status.dataset.state = state === "cancelled" ? "failed" : state;
  els.statusText.textContent = text;
  const known = typeof progress === "number" && Number.isFinite(progress);
  const pct = state === "succeeded" ? 100 : known ? Math.round(Math.min(1, Math.max(0, progress)) * 100) : 0;
  els.progressBar.style.width = `${pct}%`;
  els.progress.setAttribute("aria-valuenow", String(pct));
  const active = state === "submitting" || state === "queued" || state === "running";
  els.progress.dataset.indeterminate = String(active && pct === 0);
  els.statusPercent.textContent = state === "running" && pct > 0 ? `${pct}%` : "";
  els.samples.setAttribute("aria-busy", String(active));
}

function resetRun() {
  els.ready.hidden = true;
  els.runError.hidden = true;
  els.stats.hidden = true;
  els.cancel.hidden = true;
  els.samplesFigure.hidden = true;
  els.samplesEmpty.hidden = false;
  els.samplesImg.removeAttribute("src");
  els.samplesEmptyText.textContent = "Samples from your model appear here as it learns.";
  els.summary.textContent = "Nothing yet.";
}

function dataSummary(job) {
  const d = (job.params && job.params.data) || {};
  const parts = [];
  if (d.images) parts.push(`${number.format(d.images)} images`);
  if (d.classes && d.classes.length) parts.push(`${d.classes.length} classes (${d.classes.join(", ")})`);
  else parts.push("no classes");
  if (d.channels) parts.push(d.channels === 1 ? "grey" : "colour");
  if (job.params && job.params.image_size) parts.push(`${job.params.image_size}×${job.params.image_size}`);
  const name = job.params && job.params.name ? `“${job.params.name}”: ` : "";
  return name + parts.join(" · ") + (d.note ? `. ${d.note}` : "");
}

function statusLine(job) {
  const t = job.train;
  if (job.status === "queued") return "Waiting for a worker…";
  if (job.cancel_requested) return "Cancelling…";
  if (!t || t.phase === "preparing") return "Checking and preparing your images…";
  if (t.phase === "exporting") return "Saving the model and drawing its preview…";
  const resumed = t.resumed_from !== null && t.resumed_from !== undefined ? ` (resumed at step ${t.resumed_from})` : "";
  return `Training: step ${number.format(t.step)} of ${number.format(t.total_steps)}${resumed}`;
}

function showStats(t) {
  els.stats.hidden = !t;
  if (!t) return;
  els.statStep.textContent = `${number.format(t.step)} / ${number.format(t.total_steps)}`;
  els.statEta.textContent = t.phase === "done" ? "done" : formatDuration(t.eta_seconds ?? NaN);
  els.statSpeed.textContent = typeof t.steps_per_second === "number" ? `${t.steps_per_second.toFixed(1)} steps/s` : "–";
  const loss = (k) => (typeof t.losses[k] === "number" ? t.losses[k].toFixed(3) : "–");
  els.statD.textContent = loss("d_loss");
  els.statG.textContent = loss("g_loss");
}

function showSamples(src, caption, alt) {
  if (els.samplesImg.getAttribute("src") !== src) {
    els.samplesImg.removeAttribute("style");
    els.samplesImg.src = src;
  }
  els.samplesImg.alt = alt;
  els.samplesCaption.textContent = caption;
  els.samplesFigure.hidden = false;
  els.samplesEmpty.hidden = true;
}

/** Small grids are enlarged by a whole factor with square pixels; large ones fit the panel. */
function fitSamples() {
  const img = els.samplesImg;
  const w = img.naturalWidth;
  const room = els.samples.clientWidth - 32;
  if (!w || room <= 0) return;
  const fit = room / w;
  const scale = fit >= 2 ? Math.min(3, Math.floor(fit)) : Math.min(1, fit);
  img.style.width = `${Math.round(w * scale)}px`;
  img.dataset.pixelated = String(scale > 1);
}

function render(job) {
  const t = job.train;
  els.summary.textContent = dataSummary(job);
  showStats(t && t.phase !== "preparing" ? t : null);
  const classes = ((job.params && job.params.data && job.params.data.classes) || []).join(", ");
  if (t && t.samples_url && job.status !== "succeeded") {
    showSamples(t.samples_url, `Samples at step ${number.format(t.sample_step)}` +
      (classes ? ` · one row per class: ${classes}` : ""), `Samples from your model at step ${t.sample_step}`);
  }
  els.cancel.hidden = !(job.status === "queued" || job.status === "running");
  els.cancel.disabled = Boolean(job.cancel_requested);

  switch (job.status) {
    case "queued":
    case "running": {
      const progress = t && t.total_steps ? t.step / t.total_steps : job.progress;
      setStatus(job.status, statusLine(job), job.status === "running" ? progress : null);
      break;
    }
    case "succeeded": {
      setStatus("succeeded", `Done: ${number.format(t ? t.step : 0)} steps.`, 1);
      const id = t && t.model_id;
      els.readyTitle.textContent = `Model “${id}” is ready`;
      els.readyText.textContent = "It is listed on the Generate page with the other models" +
        (classes ? `, with the classes ${classes}.` : ".");
      els.readyGenerate.href = `/?model=${encodeURIComponent(id)}`;
      els.ready.hidden = false;
      if (job.results && job.results.length) {
        showSamples(job.results[0], `${id}: its preview, fixed seeds` + (classes ? `, one row per class` : ""),
          `Preview of the model ${id}`);
      }
      break;
    }
    case "failed":
      setStatus("failed", "Failed.", 1);
      els.runErrorTitle.textContent = ERROR_TITLES[job.error && job.error.code] || "The training failed";
      els.runErrorMessage.textContent = (job.error && job.error.message) || "The worker could not finish it.";
      els.runError.hidden = false;
      break;
    case "cancelled":
      setStatus("cancelled", t && t.step ? `Cancelled at step ${number.format(t.step)}.` : "Cancelled.", 1);
      if (els.samplesFigure.hidden) els.samplesEmptyText.textContent = "Cancelled before the first samples.";
      break;
    default:
      break;
  }
}

async function follow(jobId) {
  const run = ++following;
  setBusy(true);
  let failures = 0;
  for (;;) {
    let job;
    try {
      job = await api(`${API}/jobs/${encodeURIComponent(jobId)}`);
      failures = 0;
    } catch (err) {
      if (run !== following) return;
      if (err.code === "network" && ++failures <= NETWORK_RETRIES) {
        els.statusText.textContent = "The server is not answering; trying again…";
        await sleep(POLL_MS * 2);
        continue;
      }
      setBusy(false);
      setStatus("failed", err.status === 404 ? "This job no longer exists." : "Lost the job.", 1);
      els.runErrorTitle.textContent = errorTitle(err);
      els.runErrorMessage.textContent = err.message;
      els.runError.hidden = false;
      return;
    }
    if (run !== following) return;
    if (job.kind !== "train") {
      setBusy(false);
      showFormError("Not a training job", `Job ${jobId} is a ${job.kind} job; see it on the Jobs page.`);
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

async function onCancel() {
  const jobId = new URLSearchParams(window.location.search).get("job");
  if (!jobId) return;
  els.cancel.disabled = true;
  els.statusText.textContent = "Cancelling…";
  try {
    await api(`${API}/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" });
  } catch (err) {
    els.cancel.disabled = false;
    showFormError(err.status === 409 ? "Too late to cancel" : errorTitle(err), err.message);
  }
}

// ---------------------------------------------------------------- wiring

els.zipChoose.addEventListener("click", () => els.zipInput.click());
els.zipInput.addEventListener("change", () => {
  if (els.zipInput.files.length) chooseZip(els.zipInput.files[0]);
  els.zipInput.value = ""; // choosing the same file again still fires "change"
});
let dragDepth = 0;
document.addEventListener("dragenter", (event) => {
  if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
  dragDepth += 1;
  document.body.classList.add("is-dragging-file");
});
document.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) document.body.classList.remove("is-dragging-file");
});
document.addEventListener("dragover", (event) => event.preventDefault());
document.addEventListener("drop", (event) => {
  event.preventDefault();
  dragDepth = 0;
  document.body.classList.remove("is-dragging-file");
  const file = event.dataTransfer?.files?.[0];
  if (file) chooseZip(file);
});
els.name.addEventListener("input", () => {
  showModelId();
  setFieldError(els.name, null);
});
form.addEventListener("submit", onSubmit);
els.cancel.addEventListener("click", onCancel);
els.samplesImg.addEventListener("load", fitSamples);
window.addEventListener("resize", fitSamples);

showModelId();
const resumeId = new URLSearchParams(window.location.search).get("job");
if (resumeId) follow(resumeId);
