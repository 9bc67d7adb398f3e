// "Upscale ×4" on the generate page: runs an upscale job on one result (POST /api/v1/jobs/upscale with the job id
// and image index) and shows ours beside plain bicubic of the same image, each with its download, in the
// "Upscaled" panel under the results. The method is `ibp-tv` (docs/BENCHMARKS.md#upscaling).
// Server data goes into the page with textContent and attributes only.

import { API, ApiError, api, pollJob } from "./api.js";
import { rememberJob } from "./history.js";
import { openLightbox } from "./lightbox.js";

export const UPSCALE = 4;
const SHOW_AT_LEAST_PX = 256; // a small result is shown enlarged by a whole factor, with square pixels

const $ = (id) => document.getElementById(id);
const els = {
  panel: $("upscale"),
  status: $("upscale-status"),
  body: $("upscale-body"),
};

let run = 0; // incremented per request; an older request's poll stops when a newer one starts

function describe(image) {
  const cls = image.class === null || image.class === undefined ? "" : ` · class ${image.class}`;
  return `seed ${image.seed}${cls}`;
}

function setStatus(text, state) {
  els.panel.hidden = false;
  els.panel.dataset.state = state;
  els.status.textContent = text;
}

/** The action for a tile and the large view: { label, title, run }. */
export function upscaleAction(job, image) {
  return {
    label: `Upscale ×${UPSCALE}`,
    title: `This image ${UPSCALE} times larger, sharper than bicubic (${describe(image)})`,
    run: () => upscale(job, image),
  };
}

async function upscale(job, image) {
  const mine = ++run;
  const title = `${describe(image)} ×${UPSCALE}`;
  els.body.replaceChildren();
  setStatus(`Upscaling ${title}: sending…`, "busy");
  els.panel.scrollIntoView({ block: "nearest" });
  const form = new FormData();
  form.append("job", job.id);
  form.append("index", String(image.index));
  form.append("scale", String(UPSCALE));
  try {
    const accepted = await api(`${API}/jobs/upscale`, { method: "POST", body: form });
    rememberJob({ id: accepted.id, kind: "upscale", params: { job: job.id, index: image.index, scale: UPSCALE,
      model: (job.params || {}).model, seed: image.seed } });
    const done = await pollJob(accepted.status_url || `${API}/jobs/${encodeURIComponent(accepted.id)}`, {
      cancelled: () => mine !== run,
      onRetry: () => setStatus(`Upscaling ${title}: connection lost, retrying…`, "busy"),
      onUpdate: (u) => setStatus(`Upscaling ${title}: ${u.status === "running" ? "working" : "queued"}…`, "busy"),
    });
    if (done === null) return;
    if (done.status === "failed") {
      setStatus(`Upscaling ${title} failed: ${(done.error || {}).message || "the worker could not finish it."}`,
        "failed");
      return;
    }
    const secs = typeof done.duration_ms === "number" ? ` in ${(done.duration_ms / 1000).toFixed(2)} s` : "";
    setStatus(`Upscaled ${title}${done.cache_hit ? " (from cache)" : secs}.`, "succeeded");
    show(done, image, (job.params || {}).model || "image");
  } catch (err) {
    if (mine !== run) return;
    setStatus(`Upscaling ${title}: ${err instanceof ApiError ? `${err.title}. ${err.message}` : String(err)}`,
      "failed");
  }
}

function download(href, text, label) {
  const a = document.createElement("a");
  a.className = "button button--secondary upscale__download";
  a.href = `${href}?download=1`;
  a.download = ""; // the server's Content-Disposition names the file
  a.textContent = text;
  a.setAttribute("aria-label", label);
  return a;
}

/** Ours and bicubic side by side; each opens the large view, where both can be stepped through. */
function show(job, image, model) {
  const p = job.params || {};
  const width = (p.width || 0) * (p.scale || UPSCALE);
  const height = (p.height || 0) * (p.scale || UPSCALE);
  const factor = width ? Math.max(1, Math.floor(SHOW_AT_LEAST_PX / width)) : 1;
  const images = job.images || [];
  const name = (im) => (im.label === "bicubic" ? "Bicubic" : `Ours (${im.label})`);
  const items = images.map((im) => ({
    src: im.url, alt: `${name(im)}: ${describe(image)}, ${width}×${height}`,
    title: `${name(im)} · ${width}×${height}`, details: `${model} · ${describe(image)} · ×${p.scale || UPSCALE}`,
    download: { href: `${im.url}?download=1`, label: "Download PNG" },
  }));
  // Ours first in the large view; on the page bicubic on the left and ours on the right, as before / after read.
  const order = images.filter((im) => im.label === "bicubic").concat(images.filter((im) => im.label !== "bicubic"));
  const row = document.createElement("div");
  row.className = "upscale__pair";
  for (const im of order) {
    const figure = document.createElement("figure");
    figure.className = `upscale__figure upscale__figure--${im.label === "bicubic" ? "bicubic" : "ours"}`;
    const open = document.createElement("button");
    open.type = "button";
    open.className = "upscale__open";
    open.setAttribute("aria-label", `Open ${name(im).toLowerCase()} large`);
    const img = document.createElement("img");
    img.className = "upscale__img";
    img.src = im.url;
    img.alt = items[im.index].alt;
    img.decoding = "async";
    if (width) {
      img.width = width * factor;
      img.height = height * factor;
      img.dataset.pixelated = String(factor > 1);
    }
    open.append(img);
    open.addEventListener("click", () => openLightbox(items, { start: im.index, label: "Upscaled: large view",
      returnFocus: open }));
    const caption = document.createElement("figcaption");
    caption.className = "upscale__caption";
    const words = document.createElement("span");
    words.textContent = `${name(im)} · ${width}×${height}`;
    const what = `${name(im).toLowerCase()} (${width}×${height} PNG)`;
    caption.append(words, download(im.url, "Download", `Download ${what}`));
    figure.append(open, caption);
    row.append(figure);
  }
  const note = document.createElement("p");
  note.className = "upscale__note";
  note.textContent = "Ours: Lanczos, then back-projection with a total-variation prior, so edges stay crisp and " +
    "shrinking it gives the original back. Measured against bicubic in the benchmarks.";
  els.body.replaceChildren(row, note);
}
