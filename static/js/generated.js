// How a generated image is described and named wherever one is shown: the generate page's tiles and large view,
// its explore and upscale panels, and the Jobs page's large view. One place, so an image has the same alt text and
// download name everywhere.

import { withDownload } from "./ui.js";

/** The image's class as text, or null for an unconditional model's image. */
export function classOf(image) {
  return image.class === null || image.class === undefined ? null : String(image.class);
}

/** Alt text: what it shows and its seed. */
export function generatedAlt(image) {
  const cls = classOf(image);
  return cls !== null ? `Generated “${cls}”, seed ${image.seed}` : `Generated image, seed ${image.seed}`;
}

/** Seed, and class when it has one, to go inside a sentence: "seed 7 · class 3" (explore's and upscale's words). */
export function generatedLabel(image) {
  const cls = classOf(image);
  return cls !== null ? `seed ${image.seed} · class ${cls}` : `seed ${image.seed}`;
}

/** A short title for the large view: the same, capitalised ("Seed 7 · class 3"). */
export function generatedTitle(image) {
  const label = generatedLabel(image);
  return label[0].toUpperCase() + label.slice(1);
}

/** The download's file name: model, seed and the image's index in its job. */
export function imageFilename(modelId, image) {
  return `${modelId}-s${image.seed}-${String(image.index).padStart(3, "0")}.png`;
}

/** Its large-view item (lightbox.js): title, alt text, "model · image i of n · truncation", and its own PNG. */
export function generatedLightboxItem(image, i, count, modelId, truncation) {
  const details = [modelId, `image ${i + 1} of ${count}`];
  if (typeof truncation === "number") details.push(`truncation ${truncation.toFixed(2)}`);
  return {
    src: image.url,
    alt: generatedAlt(image),
    title: generatedTitle(image),
    details: details.join(" · "),
    download: { href: withDownload(image.url), filename: imageFilename(modelId, image), label: "Download PNG" },
  };
}
