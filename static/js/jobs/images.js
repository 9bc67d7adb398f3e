// The images on a Jobs page card: its thumbnails (results, before/after, placeholders while a job runs or when it
// has no result) and the large view they open. Separate from the card's text and lifecycle because the two differ
// per kind of job in their own ways, and each image's alt text and download belong together.

import { jobUrl } from "../api.js";
import { generatedLightboxItem } from "../generated.js";
import { openLightbox } from "../lightbox.js";
import { el, svgIcon, withDownload } from "../ui.js";
import { TASK_LABEL, fileNameOf, kindOf, paramsOf, titleOf } from "./describe.js";

const THUMBS_SHOWN = 8; // result thumbnails on a generate card; the rest are counted on the last one

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

const PLACEHOLDER = {
  failed: { icon: "M12 7.5v5.5M12 16.5v.01M10.3 3.9 2.6 17.5A2 2 0 0 0 4.3 20.5h15.4a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z", text: "No result" },
  expired: { icon: "M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z", text: "Expired" },
  cancelled: { icon: "M6 6l12 12M18 6 6 18", text: "Cancelled" },
  unreachable: { icon: "M3 3l18 18M8.5 16.5a5 5 0 0 1 7 0M5 12.9a10 10 0 0 1 4.2-2.4M12 20h.01", text: "Offline" },
};

function placeholder(kind, wide) {
  const { icon, text } = PLACEHOLDER[kind];
  const box = el("span", `job__thumb job__thumb--placeholder${wide ? " job__thumb--wide" : ""}`);
  box.append(svgIcon(icon, { size: 22, strokeWidth: 1.8 }), el("span", "job__thumb-label", text));
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

export function renderThumbs(card) {
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
    return generatedLightboxItem(image, i, images.length, model, p.truncation);
  }));
}

/** Opens the job's images large, on `start`; by default a repair opens on its result, one step from the photo. */
export function openCard(card, opener, start = null) {
  if (card.status !== "succeeded") return;
  const items = lightboxItems(card);
  const first = start !== null ? start : kindOf(card) === "repair" && items.length > 1 ? 1 : 0;
  openLightbox(items, { start: first, label: `${titleOf(card)}: large view`, returnFocus: opener });
}
