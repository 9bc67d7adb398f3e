// The Jobs page: the jobs this browser sent (static/js/history.js), newest first, each read from the API.
//
// Unfinished jobs are polled, each on its own backing-off timer, and not at all while the tab is hidden; finished
// ones are read once. A job the server no longer has (404) is shown as expired. Server data only ever reaches the
// page through textContent and attributes, never innerHTML.

import { API, ApiError, api } from "./api.js";
import { forgetJob, listJobs } from "./history.js";
import { openLightbox } from "./lightbox.js";

const POLL_FIRST_MS = 1000; // first re-check of an unfinished job
const POLL_MAX_MS = 8000; // re-checks back off to at most this interval
const POLL_BACKOFF = 1.5; // interval multiplier after each check that saw no change
const LOAD_CONCURRENCY = 4; // jobs read at once when the page opens (a history may hold hundreds)
const THUMBS_SHOWN = 8; // result thumbnails on a generate card; the rest are counted on the last one
const UNFINISHED = new Set(["loading", "queued", "running", "unreachable"]);

// The API's job kinds and the filter's names for them.
// Interpolations and variations are generator work too: listed under "generate", labelled by their own kind.
// Upscales (of a result, or of an upload) are listed with the images too.
const FILTER_OF = { generate: "generate", interpolate: "generate", variations: "generate", upscale: "generate",
  restore: "repair", repair: "repair" };
const KIND_LABEL = { generate: "Generate", repair: "Repair", interpolate: "Interpolate", variations: "Variations",
  upscale: "Upscale", train: "Training" }; // training jobs are listed under "All" only
const TASK_LABEL = { denoise: "Denoise", inpaint: "Inpaint", auto: "Auto repair" };

const $ = (id) => document.getElementById(id);
const els = {
  list: $("job-list"),
  template: $("job-template"),
  empty: $("jobs-empty"),
  emptyTitle: $("jobs-empty-title"),
  emptyText: $("jobs-empty-text"),
  emptyGenerate: $("empty-generate"),
  emptyRepair: $("empty-repair"),
  filter: $("kind-filter"),
  clearExpired: $("clear-expired"),
  announce: $("jobs-announce"),
  title: $("jobs-title"),
  confirm: $("confirm-delete"),
  confirmTitle: $("confirm-title"),
  confirmText: $("confirm-text"),
};

const cards = new Map(); // job id -> card (see createCard), in list order
let filter = "all";

// ---------------------------------------------------------------- small helpers

const SVG = "http://www.w3.org/2000/svg";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function announce(text) {
  els.announce.textContent = "";
  // A fresh text node each time, so the same sentence twice is still read out.
  requestAnimationFrame(() => { els.announce.textContent = text; });
}

function withDownload(url) {
  return url + (url.includes("?") ? "&" : "?") + "download=1";
}

function jobUrl(id) {
  return `${API}/jobs/${encodeURIComponent(id)}`;
}

function formatSeconds(ms) {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const absoluteTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relativeTime = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

function ago(date) {
  const secs = (Date.now() - date.getTime()) / 1000;
  if (secs < 45) return "just now";
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (secs >= size) return relativeTime.format(-Math.round(secs / size), unit);
  }
  return relativeTime.format(-1, "minute");
}

// ---------------------------------------------------------------- what a card shows

function kindOf(card) {
  return FILTER_OF[(card.job && card.job.kind) || card.entry.kind] || "other";
}

/** The server's params when it has the job (seed resolved, defaults explicit), else what the page sent. */
function paramsOf(card) {
  return (card.job && card.job.params) || card.entry.params || {};
}

/** The uploaded file's name: only the browser knows it (the server keeps the bytes by their hash). */
function fileNameOf(card) {
  const local = card.entry.params || {};
  const name = local.file || local.filename || local.name;
  return typeof name === "string" && name ? name : null;
}

function titleOf(card) {
  const p = paramsOf(card);
  if (kindOf(card) === "repair") return TASK_LABEL[p.task] || "Repair";
  if (((card.job && card.job.kind) || card.entry.kind) === "upscale") return `Upscale ×${p.scale ?? 4}`;
  if (((card.job && card.job.kind) || card.entry.kind) === "train") return p.name ? String(p.name) : "Training";
  return p.model ? String(p.model) : "Generate";
}

/** [label, value] pairs for the card's parameter list. */
function paramItems(card) {
  const p = paramsOf(card);
  const items = [];
  if (kindOf(card) === "repair") {
    const file = fileNameOf(card);
    if (file) items.push(["File", file]);
    if (p.width && p.height) items.push(["Size", `${p.width}×${p.height}`]);
    if (p.task === "denoise" || p.task === "auto") {
      items.push(["Noise σ", typeof p.sigma === "number" ? String(p.sigma) : "estimated"]);
    }
    if (p.task === "inpaint") items.push(["Mask", "painted"]);
    if (p.task === "auto") items.push(["Mask", p.mask ? "painted" : "detected"]);
    return items;
  }
  const kindName = (card.job && card.job.kind) || card.entry.kind;
  const end = (e) => (e && e.job ? `job image ${Number(e.index || 0) + 1}`
    : e ? `seed ${e.seed}${e.class !== null && e.class !== undefined ? ` · ${e.class}` : ""}` : "?");
  if (kindName === "interpolate") {
    items.push(["From", end(p.from)], ["To", end(p.to)], ["Frames", String(p.frames ?? 16)]);
    if (typeof p.truncation === "number") items.push(["Truncation", p.truncation.toFixed(2)]);
    return items;
  }
  if (kindName === "train") {
    const data = p.data || {};
    const t = card.job && card.job.train;
    if (data.images) items.push(["Images", String(data.images)]);
    if (data.classes && data.classes.length) items.push(["Classes", data.classes.join(", ")]);
    const size = p.image_size;
    if (size) items.push(["Resolution", `${size}×${size}`]);
    const steps = (p.recipe && p.recipe.steps) || p.steps;
    if (steps) items.push(["Steps", t && t.step && t.step < steps ? `${t.step} of ${steps}` : String(steps)]);
    if (t && t.model_id) items.push(["Model", t.model_id]);
    return items;
  }
  if (kindName === "upscale") {
    const source = p.source || (p.job ? p : null); // the server's params, or what this page sent
    items.push(["Source", source && source.job ? end(source) : "upload"], ["Scale", `×${p.scale ?? 4}`]);
    if (p.width && p.height) items.push(["Size", `${p.width * p.scale}×${p.height * p.scale}`]);
    return items;
  }
  if (kindName === "variations") {
    items.push(["Source", p.job ? end(p) : end({ seed: p.seed, class: p.class })]);
    if (p.count !== undefined) items.push(["Count", String(p.count)]);
    if (typeof p.strength === "number") items.push(["Strength", p.strength.toFixed(2)]);
    return items;
  }
  const hasClass = p.class !== null && p.class !== undefined && p.class !== "";
  items.push(["Class", hasClass ? String(p.class) : "any"]);
  items.push(["Seed", p.seed !== null && p.seed !== undefined ? String(p.seed) : "random"]);
  if (p.count !== undefined) items.push(["Count", String(p.count)]);
  if (typeof p.truncation === "number") items.push(["Truncation", p.truncation.toFixed(2)]);
  return items;
}

function durationText(card) {
  const job = card.job;
  switch (card.status) {
    case "queued":
      return "waiting for a worker";
    case "running":
      return job.device ? `running on ${job.device}` : "running";
    case "succeeded":
    case "failed":
    case "cancelled": {
      if (job.cache_hit) return "answered from the result cache";
      const verb = { failed: "failed after", cancelled: "cancelled after" }[card.status] || "took";
      let ms = job.duration_ms;
      if (typeof ms !== "number") {
        const start = Date.parse(job.started_at || job.created_at);
        const end = Date.parse(job.finished_at);
        ms = Number.isFinite(start) && Number.isFinite(end) && end >= start ? end - start : null;
      }
      if (ms === null) return "";
      return `${verb} ${formatSeconds(ms)}${job.device ? ` on ${job.device}` : ""}`;
    }
    default:
      return "";
  }
}

const STATE_TEXT = {
  loading: "Loading…",
  queued: "Queued",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
  expired: "Expired",
  unreachable: "Offline",
};

function stateText(card) {
  if (card.status !== "running") return STATE_TEXT[card.status] || card.status;
  const pct = Math.round((card.job.progress || 0) * 100);
  return pct > 0 ? `Running ${pct}%` : "Starting";
}

// ---------------------------------------------------------------- thumbnails

function thumbImage(src, alt) {
  const img = el("img", "job__thumb-img");
  img.src = src;
  img.alt = alt;
  img.loading = "lazy";
  img.decoding = "async";
  // Small images (a 28-pixel digit) are enlarged with square pixels; photos are scaled smoothly.
  img.addEventListener("load", () => {
    img.dataset.pixelated = String(img.naturalWidth < img.getBoundingClientRect().width);
  });
  img.addEventListener("error", () => img.closest(".job__thumb")?.classList.add("job__thumb--broken"));
  return img;
}

function thumb(className, { src = null, alt = "", label = null } = {}) {
  const box = el("span", `job__thumb ${className}`);
  if (src) box.append(thumbImage(src, alt));
  if (label) box.append(el("span", "job__thumb-label", label));
  return box;
}

function placeholderIcon(d) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "22", height: "22", "aria-hidden": "true" })) {
    svg.setAttribute(k, v);
  }
  const path = document.createElementNS(SVG, "path");
  for (const [k, v] of Object.entries({ d, fill: "none", stroke: "currentColor", "stroke-width": "1.8",
    "stroke-linecap": "round", "stroke-linejoin": "round" })) path.setAttribute(k, v);
  svg.append(path);
  return svg;
}

const PLACEHOLDER = {
  failed: { icon: "M12 7.5v5.5M12 16.5v.01M10.3 3.9 2.6 17.5A2 2 0 0 0 4.3 20.5h15.4a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z", text: "No result" },
  expired: { icon: "M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z", text: "Expired" },
  cancelled: { icon: "M6 6l12 12M18 6 6 18", text: "Cancelled" },
  unreachable: { icon: "M3 3l18 18M8.5 16.5a5 5 0 0 1 7 0M5 12.9a10 10 0 0 1 4.2-2.4M12 20h.01", text: "Offline" },
};

function placeholder(kind, wide) {
  const { icon, text } = PLACEHOLDER[kind];
  const box = el("span", `job__thumb job__thumb--placeholder${wide ? " job__thumb--wide" : ""}`);
  box.append(placeholderIcon(icon), el("span", "job__thumb-label", text));
  return box;
}

function skeletons(n) {
  return Array.from({ length: n }, (_, i) => {
    const box = el("span", "job__thumb job__thumb--skeleton");
    box.style.setProperty("--i", String(i));
    return box;
  });
}

function generateThumbs(card) {
  const { status, job } = card;
  const p = paramsOf(card);
  if (status === "succeeded") {
    const images = job.images || [];
    const shown = images.length > THUMBS_SHOWN ? THUMBS_SHOWN - 1 : images.length;
    const nodes = images.slice(0, shown).map((im) => thumb("job__thumb--image", {
      src: im.url, alt: im.label ? `Upscaled (${im.label})`
        : typeof im.t === "number" ? `Frame at t = ${im.t.toFixed(2)}`
        : `Seed ${im.seed}${im.class !== null && im.class !== undefined ? `, class ${im.class}` : ""}`,
    }));
    if (images.length > shown) {
      const more = el("span", "job__thumb job__thumb--more", `+${images.length - shown}`);
      nodes.push(more);
    }
    return { nodes, layout: images.length === 1 ? "single" : "grid" };
  }
  if (status === "queued" || status === "running" || status === "loading") {
    const n = Math.max(1, Math.min(Number(p.count) || 1, THUMBS_SHOWN));
    return { nodes: skeletons(n), layout: n === 1 ? "single" : "grid" };
  }
  return { nodes: [placeholder(status === "failed" ? "failed" : status, true)], layout: "placeholder" };
}

function repairThumbs(card) {
  const { status, job } = card;
  if (status === "expired" || status === "unreachable") {
    return { nodes: [placeholder(status, true)], layout: "placeholder" };
  }
  if (status === "loading") return { nodes: skeletons(2), layout: "pair" };
  const before = thumb("job__thumb--photo", { src: `${jobUrl(job.id)}/input/image`, alt: "Before", label: "Before" });
  let after;
  if (status === "succeeded" && job.results.length) {
    after = thumb("job__thumb--photo", { src: job.results[0], alt: "After", label: "After" });
  } else if (status === "failed" || status === "cancelled") {
    after = placeholder(status, false);
  } else {
    [after] = skeletons(1);
    after.append(el("span", "job__thumb-label", "After"));
  }
  return { nodes: [before, after], layout: "pair" };
}

function renderThumbs(card) {
  const images = card.job && card.job.images ? card.job.images.length : 0;
  const key = `${card.status}:${images}`;
  if (card.thumbsKey === key) return; // unchanged: keep the loaded images instead of flickering
  card.thumbsKey = key;
  const { nodes, layout } = kindOf(card) === "repair" ? repairThumbs(card) : generateThumbs(card);
  card.parts.thumbs.dataset.layout = layout;
  card.parts.thumbs.replaceChildren(...nodes);
}

// ---------------------------------------------------------------- the large view

function lightboxItems(card) {
  const job = card.job;
  const p = job.params || {};
  if (kindOf(card) === "repair") {
    const task = TASK_LABEL[p.task] || "Repair";
    const file = fileNameOf(card);
    const size = p.width && p.height ? `${p.width}×${p.height}` : null;
    const details = (what) => [task, file, size, what].filter(Boolean).join(" · ");
    const items = [{
      src: `${jobUrl(job.id)}/input/image`, alt: "The photo as uploaded", title: "Before",
      details: details("as uploaded"),
      download: { href: withDownload(`${jobUrl(job.id)}/input/image`), label: "Download original" },
    }];
    for (const image of job.images || []) {
      const isMask = image.label === "mask";
      items.push({
        src: image.url,
        alt: isMask ? "The repaired areas, white" : "The repaired photo",
        title: isMask ? (p.mask ? "Mask (painted)" : "Mask (detected)") : "After",
        details: details(isMask ? "white = repaired" : "repaired"),
        download: { href: withDownload(image.url), label: isMask ? "Download mask" : "Download PNG" },
      });
    }
    if (p.task === "inpaint" && p.mask) {
      items.push({
        src: `${jobUrl(job.id)}/input/mask`, alt: "The painted mask", title: "Mask (painted)",
        details: details("white = filled in"),
        download: { href: withDownload(`${jobUrl(job.id)}/input/mask`), label: "Download mask" },
      });
    }
    return items;
  }
  const images = job.images || [];
  const model = p.model || "image";
  const animation = job.animation_url ? [{
    src: job.animation_url, alt: "The interpolation, animated", title: "Animation",
    details: `${model} · ${images.length} frames, looped`,
    download: { href: withDownload(job.animation_url), label: "Download WebP" },
  }] : [];
  return animation.concat(images.map((image, i) => {
    if (job.kind === "train") { // its one image: the new model's preview grid
      const id = (job.train && job.train.model_id) || p.model_id || "model";
      return { src: image.url, alt: `Preview of the model ${id}`, title: `${id} · preview`,
        details: "fixed seeds, one row per class", download: { href: withDownload(image.url), label: "Download PNG" } };
    }
    if (image.label) { // an upscale: ours, then the bicubic comparison
      const name = image.label === "bicubic" ? "Bicubic" : `Ours (${image.label})`;
      const size = p.width && p.height ? `${p.width * p.scale}×${p.height * p.scale}` : `×${p.scale}`;
      return { src: image.url, alt: `${name}, upscaled ${size}`, title: `${name} · ${size}`,
        details: `upscaled ×${p.scale}`, download: { href: withDownload(image.url), label: "Download PNG" } };
    }
    if (typeof image.t === "number") {
      return { src: image.url, alt: `Frame ${i + 1}`, title: `Frame ${i + 1} · t = ${image.t.toFixed(3)}`,
        details: `${model} · frame ${i + 1} of ${images.length}`,
        download: { href: withDownload(image.url), label: "Download PNG" } };
    }
    const cls = image.class === null || image.class === undefined ? null : String(image.class);
    const details = [model, `image ${i + 1} of ${images.length}`];
    if (typeof p.truncation === "number") details.push(`truncation ${p.truncation.toFixed(2)}`);
    return {
      src: image.url,
      alt: cls !== null ? `Generated “${cls}”, seed ${image.seed}` : `Generated image, seed ${image.seed}`,
      title: cls !== null ? `Seed ${image.seed} · class ${cls}` : `Seed ${image.seed}`,
      details: details.join(" · "),
      download: {
        href: withDownload(image.url), filename: `${model}-s${image.seed}-${String(image.index).padStart(3, "0")}.png`,
        label: "Download PNG",
      },
    };
  }));
}

/** Opens the job's images large, on `start`; by default a repair opens on its result, one step from the photo. */
function openCard(card, opener, start = null) {
  if (card.status !== "succeeded") return;
  const items = lightboxItems(card);
  const first = start !== null ? start : kindOf(card) === "repair" && items.length > 1 ? 1 : 0;
  openLightbox(items, { start: first, label: `${titleOf(card)}: large view`, returnFocus: opener });
}

// ---------------------------------------------------------------- actions

/** Where "Re-run" goes: the generate form prefilled with the job's parameters, or the repair page re-opening it. */
function rerunHref(card) {
  if (kindOf(card) === "repair") return `/repair?from=${encodeURIComponent(card.entry.id)}`;
  const p = paramsOf(card);
  const kindName = (card.job && card.job.kind) || card.entry.kind;
  if (!p.model || kindName === "interpolate" || kindName === "variations") return null; // no form for these yet
  const query = new URLSearchParams();
  query.set("model", String(p.model));
  if (p.class !== null && p.class !== undefined && p.class !== "") query.set("class", String(p.class));
  if (p.seed !== null && p.seed !== undefined) query.set("seed", String(p.seed));
  if (p.count !== undefined) query.set("count", String(p.count));
  if (typeof p.truncation === "number") query.set("truncation", String(p.truncation));
  return `/?${query}`;
}

function confirmDelete(card) {
  els.confirmTitle.textContent = `Delete “${titleOf(card)}”?`;
  return new Promise((resolve) => {
    els.confirm.returnValue = "";
    els.confirm.addEventListener("close", () => resolve(els.confirm.returnValue === "delete"), { once: true });
    els.confirm.showModal();
  });
}

async function onDelete(card) {
  const button = card.parts.del;
  if (button.getAttribute("aria-disabled") === "true") return;
  if (card.status === "expired") {
    removeCard(card, "Removed from the list.");
    return;
  }
  if (!(await confirmDelete(card))) return;
  try {
    await api(jobUrl(card.entry.id), { method: "DELETE" });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) { // 404: already gone, which is what was asked
      showMessage(card, "error", `Not deleted: ${err.message}`);
      if (err.status === 409) load(card); // it started after all; show that
      return;
    }
  }
  removeCard(card, "Job deleted.");
}

function removeCard(card, message) {
  const id = card.entry.id;
  const visible = visibleCards();
  const at = visible.indexOf(card);
  clearTimeout(card.timer);
  cards.delete(id);
  forgetJob(id);
  card.node.remove();
  updateSummary();
  announce(message);
  // Focus moves to the neighbouring job (or the page title), never to the top of the document.
  const next = visible[at + 1] || visible[at - 1];
  const target = next ? next.node.querySelector(".job__actions :is(a, button):not([hidden])") : els.title;
  if (target) target.focus();
}

function showMessage(card, tone, text) {
  card.parts.message.textContent = text;
  card.parts.message.dataset.tone = tone;
  card.parts.message.hidden = !text;
}

// ---------------------------------------------------------------- rendering a card

function render(card) {
  const { node, parts } = card;
  const status = card.status;
  const kind = kindOf(card);
  node.dataset.status = status;
  node.dataset.kind = kind;

  parts.kind.textContent = KIND_LABEL[(card.job && card.job.kind) || card.entry.kind] || KIND_LABEL[kind] || "Job";
  parts.title.textContent = titleOf(card);
  parts.stateText.textContent = stateText(card);

  parts.params.replaceChildren(...paramItems(card).map(([label, value]) => {
    const item = el("div", "job__param");
    item.append(el("dt", null, label), el("dd", null, value));
    return item;
  }));

  const created = new Date((card.job && card.job.created_at) || card.entry.submitted_at);
  if (Number.isFinite(created.getTime())) {
    parts.time.dateTime = created.toISOString();
    parts.time.textContent = `${absoluteTime.format(created)} · ${ago(created)}`;
    parts.time.title = created.toString();
  }
  parts.duration.textContent = durationText(card);
  parts.duration.hidden = !parts.duration.textContent;

  const busy = status === "queued" || status === "running";
  parts.progress.hidden = !busy;
  if (busy) {
    const pct = status === "running" ? Math.round((card.job.progress || 0) * 100) : 0;
    parts.progress.dataset.indeterminate = String(pct === 0);
    parts.progress.setAttribute("aria-valuenow", String(pct));
    parts.progress.setAttribute("aria-label", `${titleOf(card)}: ${stateText(card)}`);
    parts.progressBar.style.width = `${pct}%`;
  }

  if (status === "failed") {
    const err = card.job.error || {};
    showMessage(card, "error", err.message || "The worker could not finish this job.");
  } else if (status === "cancelled") {
    showMessage(card, "muted", "Cancelled before it finished; it has no result.");
  } else if (status === "expired") {
    showMessage(card, "muted", "The server no longer has this job: it expired or was deleted. Its parameters are " +
      "still here" + (kind === "generate" ? ", so it can be run again." : "."));
  } else if (status === "unreachable") {
    showMessage(card, "warn", `${card.error ? card.error.message : "The server could not be reached."} ` +
      "Trying again…");
  } else {
    showMessage(card, "", "");
  }

  renderThumbs(card);
  const done = status === "succeeded";
  parts.open.hidden = !done;
  parts.thumbs.disabled = !done;
  parts.download.hidden = !done;
  if (done) {
    const single = kind === "repair" || (card.job.images || []).length === 1;
    const url = single ? card.job.results[0] : card.job.grid_url;
    parts.download.href = withDownload(url);
    parts.downloadLabel.textContent = single ? "Download PNG" : "Download grid";
  }

  const href = status === "expired" && kind === "repair" ? null : rerunHref(card);
  parts.rerun.hidden = !href || status === "loading" || status === "unreachable" || kind === "other";
  if (href) parts.rerun.href = href;

  const expired = status === "expired";
  parts.delLabel.textContent = expired ? "Remove" : "Delete";
  parts.del.title = expired ? "Remove it from this list" : busy ? "A job can be deleted once it has finished" : "";
  parts.del.setAttribute("aria-disabled", String(busy || status === "loading" || status === "unreachable"));
  parts.del.setAttribute("aria-label", `${expired ? "Remove" : "Delete"} ${titleOf(card)} job`);
  parts.open.setAttribute("aria-label", `Open ${titleOf(card)} large`);
}

function createCard(entry) {
  const node = els.template.content.firstElementChild.cloneNode(true);
  const q = (selector) => node.querySelector(selector);
  const parts = {
    thumbs: q(".job__thumbs"),
    kind: q(".job__kind"),
    title: q(".job__title"),
    stateText: q(".job__state-text"),
    params: q(".job__params"),
    time: q(".job__time"),
    duration: q(".job__duration"),
    progress: q(".job__progress"),
    progressBar: q(".job__progress .progress__bar"),
    message: q(".job__message"),
    open: q(".job__open"),
    download: q(".job__download"),
    downloadLabel: q(".job__download-label"),
    rerun: q(".job__rerun"),
    del: q(".job__delete"),
    delLabel: q(".job__delete-label"),
  };
  node.dataset.id = entry.id;
  const titleId = `job-title-${entry.id}`;
  parts.title.id = titleId;
  q(".job__card").setAttribute("aria-labelledby", titleId);
  const card = { entry, job: null, status: "loading", error: null, node, parts, timer: 0, delay: POLL_FIRST_MS,
    waiting: false, thumbsKey: "" };

  parts.open.addEventListener("click", () => openCard(card, parts.open));
  parts.thumbs.addEventListener("click", (event) => {
    // A click on one thumbnail opens the large view on that image (Before, After; or image i, "+N" the next).
    const index = [...parts.thumbs.children].indexOf(event.target.closest(".job__thumb"));
    openCard(card, parts.open, index >= 0 ? index : null);
  });
  parts.del.addEventListener("click", () => onDelete(card));
  render(card);
  return card;
}

// ---------------------------------------------------------------- loading and polling

async function load(card) {
  const id = card.entry.id;
  const before = card.status;
  try {
    const job = await api(jobUrl(id));
    card.job = job;
    card.status = job.status;
    card.error = null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      card.job = null;
      card.status = "expired";
    } else {
      card.error = err;
      card.status = "unreachable";
    }
  }
  if (!cards.has(id)) return; // deleted while the request was out
  if (card.status !== before) card.delay = POLL_FIRST_MS; // something happened: look again soon
  render(card);
  updateSummary();
  if (UNFINISHED.has(card.status)) schedule(card);
}

function schedule(card) {
  clearTimeout(card.timer);
  card.timer = setTimeout(() => {
    if (!cards.has(card.entry.id)) return;
    if (document.hidden) {
      card.waiting = true; // picked up again when the tab is shown
      return;
    }
    load(card);
  }, card.delay);
  card.delay = Math.min(POLL_MAX_MS, card.delay * POLL_BACKOFF);
}

async function loadAll(list) {
  const queue = [...list];
  const worker = async () => {
    while (queue.length) await load(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, queue.length) }, worker));
}

// ---------------------------------------------------------------- list, filter, empty states

function visibleCards() {
  return [...cards.values()].filter((card) => !card.node.hidden);
}

function updateSummary() {
  const counts = { all: 0, generate: 0, repair: 0 };
  let expired = 0;
  for (const card of cards.values()) {
    const kind = kindOf(card);
    counts.all += 1;
    if (kind in counts) counts[kind] += 1;
    if (card.status === "expired") expired += 1;
    card.node.hidden = !(filter === "all" || kind === filter);
  }
  for (const [kind, n] of Object.entries(counts)) $(`count-${kind}`).textContent = n ? String(n) : "";

  els.filter.hidden = counts.all === 0; // nothing to filter yet
  els.clearExpired.hidden = expired === 0;
  els.clearExpired.textContent = expired === 1 ? "Remove 1 expired" : `Remove ${expired} expired`;

  const nothing = visibleCards().length === 0;
  els.empty.hidden = !nothing;
  els.list.hidden = nothing;
  if (nothing) {
    const none = counts.all === 0 || filter === "all";
    els.emptyTitle.textContent = none ? "No jobs yet" : `No ${filter} jobs yet`;
    els.emptyText.textContent = none
      ? "The images you generate and the photos you repair in this browser will be listed here, with their results."
      : filter === "generate"
        ? "Images you generate in this browser will be listed here."
        : "Photos you repair in this browser will be listed here.";
    els.emptyGenerate.hidden = !(none || filter === "generate");
    els.emptyRepair.hidden = !(none || filter === "repair");
  }
}

function setFilter(value, { remember = true } = {}) {
  filter = ["generate", "repair"].includes(value) ? value : "all";
  const radio = els.filter.querySelector(`input[value="${filter}"]`);
  if (radio) radio.checked = true;
  if (remember) {
    const url = new URL(window.location.href);
    if (filter === "all") url.searchParams.delete("kind");
    else url.searchParams.set("kind", filter);
    history.replaceState(null, "", url);
  }
  updateSummary();
}

/** Adds cards for remembered jobs not yet on the page (e.g. sent from another tab), drops forgotten ones. */
function syncWithHistory() {
  const entries = listJobs();
  const ids = new Set(entries.map((e) => e.id));
  for (const card of [...cards.values()]) {
    if (!ids.has(card.entry.id)) {
      clearTimeout(card.timer);
      cards.delete(card.entry.id);
      card.node.remove();
    }
  }
  const added = [];
  let previous = null;
  for (const entry of entries) {
    let card = cards.get(entry.id);
    if (!card) {
      card = createCard(entry);
      cards.set(entry.id, card);
      added.push(card);
      if (previous) previous.node.after(card.node);
      else els.list.prepend(card.node);
    }
    previous = card;
  }
  // Keep the map in list order (newest first), which is the order the list shows.
  const ordered = entries.map((e) => [e.id, cards.get(e.id)]);
  cards.clear();
  for (const [id, card] of ordered) cards.set(id, card);
  updateSummary();
  return added;
}

// ---------------------------------------------------------------- wiring

els.filter.addEventListener("change", (event) => setFilter(event.target.value));
els.clearExpired.addEventListener("click", () => {
  const expired = [...cards.values()].filter((card) => card.status === "expired");
  for (const card of expired) {
    cards.delete(card.entry.id);
    forgetJob(card.entry.id);
    card.node.remove();
  }
  updateSummary();
  els.title.focus();
  announce(expired.length === 1 ? "Removed 1 expired job." : `Removed ${expired.length} expired jobs.`);
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  for (const card of cards.values()) {
    if (card.waiting) {
      card.waiting = false;
      card.delay = POLL_FIRST_MS;
      load(card);
    }
  }
});

// Another tab sent or deleted a job: the history in localStorage changed under us.
window.addEventListener("storage", () => loadAll(syncWithHistory()));

// Relative times ("5 minutes ago") move on while the page is open.
setInterval(() => {
  for (const card of cards.values()) render(card);
}, 60_000);

els.title.tabIndex = -1; // focus lands here when the last visible job is deleted
setFilter(new URLSearchParams(window.location.search).get("kind"), { remember: false });
loadAll(syncWithHistory());
