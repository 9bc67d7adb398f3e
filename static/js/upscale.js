// "Upscale ×4" on the generate page: runs an upscale job on one result (POST /api/v1/jobs/upscale with the job id
// and image index) and shows ours beside plain bicubic of the same image, each with its download, in the
// "Upscaled" panel under the results. The method is `ibp-tv` (docs/BENCHMARKS.md#upscaling).
// Its own status line in the "Upscaled" panel, not the page's #status, which belongs to the generate job.
// Server data goes into the page with textContent and attributes only.

import { API, api, pollJob } from "./api.js";
import { generatedLabel } from "./generated.js";
import { rememberJob } from "./history.js";
import { openLightbox } from "./lightbox.js";
import { $, describeError, el, withDownload } from "./ui.js";

export const UPSCALE = 4;
const SHOW_AT_LEAST_PX = 256; // a small result is shown enlarged by a whole factor, with square pixels

const els = {
  panel: $("upscale"),
  status: $("upscale-status"),
  body: $("upscale-body"),
};

let run = 0; // incremented per request; an older request's poll stops when a newer one starts

function setStatus(text, state) {
  els.panel.hidden = false;
  els.panel.dataset.state = state;
  els.status.textContent = text;
}

/** The action for a tile and the large view: { label, title, run }. */
export function upscaleAction(job, image) {
  return {
    label: `Upscale ×${UPSCALE}`,
    title: `This image ${UPSCALE} times larger, sharper than bicubic (${generatedLabel(image)})`,
    run: () => upscale(job, image),
  };
}

async function upscale(job, image) {
  const mine = ++run;
  const title = `${generatedLabel(image)} ×${UPSCALE}`;
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
    const [what, why] = describeError(err);
    setStatus(`Upscaling ${title}: ${what}. ${why}`, "failed");
  }
}

function download(href, text, label) {
  const a = el("a", "button button--secondary upscale__download", text);
  a.href = withDownload(href);
  a.download = ""; // the server's Content-Disposition names the file
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
    src: im.url, alt: `${name(im)}: ${generatedLabel(image)}, ${width}×${height}`,
    title: `${name(im)} · ${width}×${height}`, details: `${model} · ${generatedLabel(image)} · ×${p.scale || UPSCALE}`,
    download: { href: withDownload(im.url), label: "Download PNG" },
  }));
  // Ours first in the large view; on the page bicubic on the left and ours on the right, as before / after read.
  const order = images.filter((im) => im.label === "bicubic").concat(images.filter((im) => im.label !== "bicubic"));
  const row = el("div", "upscale__pair");
  for (const im of order) {
    const figure = el("figure", `upscale__figure upscale__figure--${im.label === "bicubic" ? "bicubic" : "ours"}`);
    const open = el("button", "upscale__open");
    open.type = "button";
    open.setAttribute("aria-label", `Open ${name(im).toLowerCase()} large`);
    const img = el("img", "upscale__img");
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
    const caption = el("figcaption", "upscale__caption");
    const words = el("span", null, `${name(im)} · ${width}×${height}`);
    const what = `${name(im).toLowerCase()} (${width}×${height} PNG)`;
    caption.append(words, download(im.url, "Download", `Download ${what}`));
    figure.append(open, caption);
    row.append(figure);
  }
  const note = el("p", "upscale__note", "Ours: Lanczos, then back-projection with a total-variation prior, so edges " +
    "stay crisp and shrinking it gives the original back. Measured against bicubic in the benchmarks.");
  els.body.replaceChildren(row, note);
}
