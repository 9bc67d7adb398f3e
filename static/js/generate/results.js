// The generate page's results: the gallery of tiles (each with its download and its Variations / Interpolate /
// Upscale buttons), the placeholder tiles while a first request runs, the summary line and download of the grid,
// and the large view. Separate from sending requests: this module only draws a finished job, so it can be read
// without the polling around it.

import { imageActions, interpolateLabel, onPickChange } from "../explore.js";
import { classOf, generatedAlt, generatedLightboxItem, imageFilename } from "../generated.js";
import { openLightbox } from "../lightbox.js";
import { upscaleAction } from "../upscale.js";
import { DOWNLOAD_ICON, el, svgIcon, withDownload } from "../ui.js";
import { els, modelById } from "./page.js";

const DISPLAY_TARGET_PX = 112; // images are upscaled by a whole factor to about this width

/** What can be done with one result, for its tile and the large view: explore it, or upscale it. */
function resultActions(job, image) {
  return [...imageActions(job, image), upscaleAction(job, image)];
}

/** "Variations", "Interpolate" and "Upscale ×4" under a tile; the second reads "Interpolate to here" once an end
 * is picked. */
function exploreButtons(job, image) {
  const row = el("div", "tile__explore");
  resultActions(job, image).forEach((action, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `tile__action${i === 1 ? " tile__action--interpolate" : ""}`;
    button.textContent = action.label;
    button.setAttribute("aria-label", `${action.label}: image ${image.index + 1} (seed ${image.seed})`);
    // Asked again at click time: the pick state may have changed since the tile was drawn.
    button.addEventListener("click", () => resultActions(job, image)[i].run());
    row.append(button);
  });
  return row;
}

onPickChange(() => {
  for (const button of document.querySelectorAll(".tile__action--interpolate")) {
    button.textContent = interpolateLabel();
  }
});

function imageFigure(image, scale, size, modelId, onOpen, job) {
  const figure = el("figure", "tile");

  const frame = el("div", "tile__frame");
  const img = el("img", "tile__img");
  img.src = image.url;
  img.width = size * scale;
  img.height = size * scale;
  img.decoding = "async";
  img.alt = generatedAlt(image);
  img.addEventListener("error", () => {
    figure.classList.add("tile--broken");
    img.alt = `Image ${image.index + 1} could not be loaded`;
  });
  const open = document.createElement("button");
  open.type = "button";
  open.className = "tile__open";
  open.title = "Open large";
  open.setAttribute("aria-label", `Open image ${image.index + 1} large (seed ${image.seed})`);
  open.addEventListener("click", () => onOpen(image.index, open));
  open.append(img);
  frame.append(open);

  const caption = el("figcaption", "tile__caption");
  const seed = el("span", "tile__seed", String(image.seed));
  seed.title = "Seed";
  caption.append(seed);
  const cls = classOf(image);
  if (cls !== null) {
    const badge = el("span", "tile__class", cls);
    badge.title = "Class";
    caption.append(badge);
  }
  const link = el("a", "tile__download");
  link.href = withDownload(image.url);
  link.download = imageFilename(modelId, image);
  link.setAttribute("aria-label", `Download image ${image.index + 1} (seed ${image.seed})`);
  link.title = "Download this image";
  link.append(svgIcon(DOWNLOAD_ICON));
  caption.append(link);

  figure.append(frame, caption);
  if (job) figure.append(exploreButtons(job, image));
  return figure;
}

/** Whole-number upscaling for a model's images: pixels stay square and crisp. */
function displayScale(size) {
  return Math.max(1, Math.round(DISPLAY_TARGET_PX / size));
}

/** Placeholder tiles shown while the first images are made, the same size as the images to come. */
export function showSkeleton(count, model) {
  const size = (model && model.image_size) || 28;
  const grid = el("div", "gallery__grid gallery__grid--skeleton");
  grid.setAttribute("aria-hidden", "true");
  grid.style.setProperty("--tile-size", `${size * displayScale(size)}px`);
  for (let i = 0; i < Math.min(count, 64); i++) {
    const tile = el("div", "tile tile--skeleton");
    tile.style.setProperty("--i", String(i));
    const frame = el("div", "tile__frame");
    const caption = el("div", "tile__caption");
    tile.append(frame, caption);
    grid.append(tile);
  }
  els.gallery.replaceChildren(grid);
}

export function hasResults() {
  return els.gallery.querySelector(".gallery__grid:not(.gallery__grid--skeleton)") !== null;
}

/** After a failure: previous results come back to full strength; with none, the empty placeholder returns. */
export function restoreGallery() {
  els.gallery.classList.remove("gallery--stale");
  if (!hasResults()) els.gallery.replaceChildren(els.galleryEmpty);
}

export function showResults(job, request) {
  const params = job.params || {};
  const model = modelById(params.model) || modelById(els.model.value);
  const size = (model && model.image_size) || 28;
  const scale = displayScale(size);
  const modelId = params.model || (model && model.id) || "image";
  const images = Array.isArray(job.images) ? job.images : [];

  const grid = el("div", "gallery__grid");
  grid.style.setProperty("--tile-size", `${size * scale}px`);
  const open = (index, opener) => openLightbox(lightboxItems(job, modelId), {
    start: images.findIndex((im) => im.index === index), label: `${modelId}: large view`, returnFocus: opener,
  });
  for (const image of images) grid.append(imageFigure(image, scale, size, modelId, open, job));
  els.gallery.replaceChildren(grid);
  els.gallery.classList.remove("gallery--stale");

  const parts = [`${images.length} ${images.length === 1 ? "image" : "images"}`];
  parts.push(params.class !== null && params.class !== undefined ? `class ${params.class}` : "any class");
  if (params.seed !== undefined && params.seed !== null) parts.push(`seed ${params.seed}`);
  if (typeof params.truncation === "number") parts.push(`truncation ${params.truncation.toFixed(2)}`);
  if (job.cache_hit) {
    parts.push("from cache");
  } else {
    const secs = elapsedSeconds(job);
    if (secs !== null) parts.push(job.device ? `${secs} s on ${job.device}` : `${secs} s`);
  }
  els.summary.textContent = `${modelId}: ${parts.join(" · ")}`;

  if (job.grid_url) {
    els.gridDownload.href = withDownload(job.grid_url);
    els.gridDownload.download = `${modelId}-s${params.seed ?? "grid"}-grid.png`;
    els.gridDownload.hidden = false;
  }
  els.resultsActions.hidden = false;
  const seeded = params.seed !== undefined && params.seed !== null;
  els.rerun.title = request && request.seed === undefined
    ? "Run the same settings again with a new random seed"
    : `Run the same parameters again${seeded ? ` (seed ${params.seed})` : ""}`;
}

/** One large-view item per image: its seed and class as the title, and a download of its own PNG. */
function lightboxItems(job, modelId) {
  const params = job.params || {};
  const images = Array.isArray(job.images) ? job.images : [];
  return images.map((image, i) => ({
    ...generatedLightboxItem(image, i, images.length, modelId, params.truncation),
    get actions() { return resultActions(job, image); }, // read when shown, so the pick state is current
  }));
}

/** How long the work took: the worker's own timing when the API reports it, else the job's timestamps. */
function elapsedSeconds(job) {
  if (typeof job.duration_ms === "number" && Number.isFinite(job.duration_ms)) {
    return (job.duration_ms / 1000).toFixed(job.duration_ms < 10000 ? 2 : 1);
  }
  const start = Date.parse(job.created_at);
  const end = Date.parse(job.finished_at);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return null;
  return ((end - start) / 1000).toFixed(1);
}
