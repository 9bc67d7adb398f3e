// What a card on the Jobs page says about its job, as text: its kind and filter group, title, parameter list,
// state and timing, and where "Re-run" goes. Pure functions of a card ({entry, job, status}) with no DOM, kept apart
// so the wording of every kind of job (generate, interpolate, variations, upscale, repair, training) is in one
// place and the rendering code stays short.

// The API's job kinds and the filter's names for them.
// Interpolations and variations are generator work too: listed under "generate", labelled by their own kind.
// Upscales (of a result, or of an upload) are listed with the images too.
const FILTER_OF = { generate: "generate", interpolate: "generate", variations: "generate", upscale: "generate",
  restore: "repair", repair: "repair" };
export const KIND_LABEL = { generate: "Generate", repair: "Repair", interpolate: "Interpolate",
  variations: "Variations", upscale: "Upscale", train: "Training" }; // training jobs are listed under "All" only
export const TASK_LABEL = { denoise: "Denoise", inpaint: "Inpaint", auto: "Auto repair" };

function formatSeconds(ms) {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const absoluteTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relativeTime = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function ago(date) {
  const secs = (Date.now() - date.getTime()) / 1000;
  if (secs < 45) return "just now";
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (secs >= size) return relativeTime.format(-Math.round(secs / size), unit);
  }
  return relativeTime.format(-1, "minute");
}

// ---------------------------------------------------------------- what a card shows

/** The API's kind of the job (generate, interpolate, restore, …): the server's when it has the job, else the
 * history's. */
export function jobKindOf(card) {
  return (card.job && card.job.kind) || card.entry.kind;
}

/** The filter group the job is listed under: generate, repair, or other. */
export function kindOf(card) {
  return FILTER_OF[jobKindOf(card)] || "other";
}

/** The server's params when it has the job (seed resolved, defaults explicit), else what the page sent. */
export function paramsOf(card) {
  return (card.job && card.job.params) || card.entry.params || {};
}

/** The uploaded file's name: only the browser knows it (the server keeps the bytes by their hash). */
export function fileNameOf(card) {
  const local = card.entry.params || {};
  const name = local.file || local.filename || local.name;
  return typeof name === "string" && name ? name : null;
}

export function titleOf(card) {
  const p = paramsOf(card);
  if (kindOf(card) === "repair") return TASK_LABEL[p.task] || "Repair";
  if (jobKindOf(card) === "upscale") return `Upscale ×${p.scale ?? 4}`;
  if (jobKindOf(card) === "train") return p.name ? String(p.name) : "Training";
  return p.model ? String(p.model) : "Generate";
}

/** [label, value] pairs for the card's parameter list. */
export function paramItems(card) {
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
    items.push(["Quality", p.quality === "high" ? "high (8 orientations)" : "standard"]);
    return items;
  }
  const kindName = jobKindOf(card);
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

export function durationText(card) {
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

export function stateText(card) {
  if (card.status !== "running") return STATE_TEXT[card.status] || card.status;
  const pct = Math.round((card.job.progress || 0) * 100);
  return pct > 0 ? `Running ${pct}%` : "Starting";
}

// ---------------------------------------------------------------- re-run

/** Where "Re-run" goes: the generate form prefilled with the job's parameters, or the repair page re-opening it. */
export function rerunHref(card) {
  if (kindOf(card) === "repair") return `/repair?from=${encodeURIComponent(card.entry.id)}`;
  const p = paramsOf(card);
  const kindName = jobKindOf(card);
  if (!p.model || kindName === "interpolate" || kindName === "variations") return null; // no form for these yet
  const query = new URLSearchParams();
  query.set("model", String(p.model));
  if (p.class !== null && p.class !== undefined && p.class !== "") query.set("class", String(p.class));
  if (p.seed !== null && p.seed !== undefined) query.set("seed", String(p.seed));
  if (p.count !== undefined) query.set("count", String(p.count));
  if (typeof p.truncation === "number") query.set("truncation", String(p.truncation));
  return `/?${query}`;
}
