// Exploring a result on the generate page: "Variations" of one image, and "Interpolate" between two (pick one
// end, then the other — another image, or a seed). Jobs go through the same API and history as generate jobs.
// Its own status line in the "Explore" panel, not the page's #status, which belongs to the generate job.
// Server data goes into the page with textContent and attributes only.

import { API, api, pollJob } from "./api.js";
import { generatedLabel } from "./generated.js";
import { rememberJob } from "./history.js";
import { openLightbox } from "./lightbox.js";
import { $, describeError, el, withDownload } from "./ui.js";

const els = {
  panel: $("explore"),
  status: $("explore-status"),
  pick: $("explore-pick"),
  seed: $("explore-seed"),
  cancel: $("explore-cancel"),
  body: $("explore-body"),
};

const FRAMES = 16;
const STRENGTH = 0.3;
const COUNT = 8;
let pendingStart = null; // { ref: {job, index}, label }: the first end of an interpolation, waiting for the second
let run = 0;
const listeners = new Set(); // redraw hooks, so buttons can say "Interpolate to here" while an end is picked

function setStatus(text, state = "idle") {
  els.panel.hidden = false;
  els.status.textContent = text;
  els.panel.dataset.state = state;
}

function changed() {
  for (const fn of listeners) fn();
}

/** Call `fn` whenever the interpolation's pending end changes. */
export function onPickChange(fn) {
  listeners.add(fn);
}

export function interpolateLabel() {
  return pendingStart ? "Interpolate to here" : "Interpolate";
}

/** The explore actions of one image of a finished generate job: for tiles and the large view. */
export function imageActions(job, image) {
  const ref = { job: job.id, index: image.index };
  const label = generatedLabel(image);
  return [
    { label: "Variations", title: `Images close to this one (${label})`, run: () => variations(job, image) },
    { label: interpolateLabel(), title: pendingStart ? `Interpolate from ${pendingStart.label} to this image`
      : "Use this image as the first end of an interpolation", run: () => interpolate(ref, label, job) },
  ];
}

function interpolate(ref, label, job) {
  if (!pendingStart) {
    pendingStart = { ref, label, model: (job.params || {}).model };
    setStatus(`Interpolating from ${label}: choose “Interpolate to here” on another image, or enter a seed.`);
    els.pick.hidden = false;
    els.body.replaceChildren();
    changed();
    return;
  }
  const start = pendingStart;
  clearPick();
  submit("interpolate", { from: start.ref, to: ref, frames: FRAMES, ease: "smoothstep", pingpong: true },
    `Interpolation from ${start.label} to ${label}`);
}

function clearPick() {
  pendingStart = null;
  els.pick.hidden = true;
  changed();
}

function variations(job, image) {
  clearPick();
  submit("variations", { job: job.id, index: image.index, count: COUNT, strength: STRENGTH },
    `Variations of ${generatedLabel(image)}`);
}

async function submit(kind, body, title) {
  const mine = ++run;
  setStatus(`${title}: sending…`, "busy");
  els.body.replaceChildren();
  els.panel.scrollIntoView({ block: "nearest" });
  try {
    const accepted = await api(`${API}/jobs/${kind}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    rememberJob({ id: accepted.id, kind, params: body }); // listed on the Jobs page
    const job = await pollJob(accepted.status_url || `${API}/jobs/${encodeURIComponent(accepted.id)}`, {
      cancelled: () => mine !== run,
      onRetry: () => setStatus(`${title}: connection lost, retrying…`, "busy"),
      onUpdate: (u) => setStatus(`${title}: ${u.status === "running" ? `${Math.round((u.progress || 0) * 100)}%`
        : "queued"}…`, "busy"),
    });
    if (job === null) return;
    if (job.status === "failed") {
      setStatus(`${title}: failed — ${(job.error || {}).message || "the worker could not finish it."}`, "failed");
      return;
    }
    setStatus(`${title}${job.cache_hit ? " (from cache)" : ""}.`, "succeeded");
    if (kind === "interpolate") showInterpolation(job);
    else showVariations(job);
  } catch (err) {
    if (mine !== run) return;
    const [what, why] = describeError(err);
    setStatus(`${title}: ${what}. ${why}`, "failed");
  }
}

function pixelImage(src, alt, className, width) {
  const img = el("img", className);
  img.src = src;
  img.alt = alt;
  img.decoding = "async";
  if (width) img.style.width = `${width}px`;
  return img;
}

function link(href, text) {
  const a = el("a", "button button--secondary", text);
  a.href = withDownload(href);
  a.download = ""; // the server's Content-Disposition names the file
  return a;
}

function frameItems(job) {
  const model = (job.params || {}).model || "image";
  const frames = job.images || [];
  return [{ src: job.animation_url, alt: "The interpolation, animated", title: "Animation",
    details: `${model} · ${frames.length} frames, looped`,
    download: { href: withDownload(job.animation_url), label: "Download WebP" } }]
    .concat(frames.map((im, i) => ({
      src: im.url, alt: `Frame ${i + 1}`, title: `Frame ${i + 1} · t = ${Number(im.t).toFixed(3)}`,
      details: `${model} · frame ${i + 1} of ${frames.length}`,
      download: { href: withDownload(im.url), label: "Download PNG" },
    })));
}

function showInterpolation(job) {
  const open = (start, opener) => openLightbox(frameItems(job), { start, label: "Interpolation: large view",
    returnFocus: opener });
  const animButton = el("button", "explore__open");
  animButton.type = "button";
  animButton.setAttribute("aria-label", "Open the animation large");
  animButton.append(pixelImage(job.animation_url, "The interpolation, animated", "explore__animation", 224));
  animButton.addEventListener("click", () => open(0, animButton));
  const stripButton = el("button", "explore__open explore__open--strip");
  stripButton.type = "button";
  stripButton.setAttribute("aria-label", "Open the frames large");
  stripButton.append(pixelImage(job.grid_url, "The frames, left to right", "explore__strip"));
  stripButton.addEventListener("click", () => open(1, stripButton));
  const actions = el("div", "explore__links");
  actions.append(link(job.animation_url, "Download animation (WebP)"), link(job.grid_url, "Download frame strip"));
  els.body.replaceChildren(animButton, stripButton, actions);
}

function showVariations(job) {
  const images = job.images || [];
  const model = (job.params || {}).model || "image";
  const items = images.map((im, i) => ({
    src: im.url, alt: `Variation ${i + 1}`, title: `Variation ${i + 1} · noise seed ${im.variation_seed}`,
    details: `${model} · seed ${im.seed} · strength ${job.params.strength}`,
    download: { href: withDownload(im.url), label: "Download PNG" },
  }));
  const grid = el("div", "explore__grid");
  images.forEach((im, i) => {
    const button = el("button", "explore__open");
    button.type = "button";
    button.setAttribute("aria-label", `Open variation ${i + 1} large`);
    button.append(pixelImage(im.url, `Variation ${i + 1}`, "explore__tile", 112));
    button.addEventListener("click", () => openLightbox(items, { start: i, label: "Variations: large view",
      returnFocus: button }));
    grid.append(button);
  });
  els.body.replaceChildren(grid, link(job.grid_url, "Download grid"));
}

if (els.panel) {
  els.cancel.addEventListener("click", () => {
    clearPick();
    els.panel.hidden = true;
  });
  els.pick.addEventListener("submit", (event) => {
    event.preventDefault();
    const seed = Number(els.seed.value);
    if (!pendingStart || !Number.isInteger(seed) || seed < 0 || seed > 4294967295) {
      els.seed.setAttribute("aria-invalid", "true");
      return;
    }
    els.seed.removeAttribute("aria-invalid");
    const start = pendingStart;
    clearPick();
    submit("interpolate", { model: start.model, from: start.ref, to: { seed }, frames: FRAMES, ease: "smoothstep",
      pingpong: true }, `Interpolation from ${start.label} to seed ${seed}`);
  });
}
