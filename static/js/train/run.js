// Showing a training job as it goes: the summary of its data, the status line's words, the step / time left /
// speed / loss figures, the latest sample grid (fitted to the panel), and what it ended with: the ready notice and
// the model's preview, the failure, or the cancellation. Only displays a job record; job.js fetches them.

import { ERROR_TITLES, els, number, setStatus, showRunError } from "./page.js";

function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** Back to "nothing yet", before a new job. */
export function resetRun() {
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
export function fitSamples() {
  const img = els.samplesImg;
  const w = img.naturalWidth;
  const room = els.samples.clientWidth - 32;
  if (!w || room <= 0) return;
  const fit = room / w;
  const scale = fit >= 2 ? Math.min(3, Math.floor(fit)) : Math.min(1, fit);
  img.style.width = `${Math.round(w * scale)}px`;
  img.dataset.pixelated = String(scale > 1);
}

/** Shows one record of a training job (GET /jobs/{id}). */
export function render(job) {
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
      showRunError(ERROR_TITLES[job.error && job.error.code] || "The training failed",
        (job.error && job.error.message) || "The worker could not finish it.");
      break;
    case "cancelled":
      setStatus("cancelled", t && t.step ? `Cancelled at step ${number.format(t.step)}.` : "Cancelled.", 1);
      if (els.samplesFigure.hidden) els.samplesEmptyText.textContent = "Cancelled before the first samples.";
      break;
    default:
      break;
  }
}
