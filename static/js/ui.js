// Small DOM helpers shared by the studio's page scripts (generate, repair, jobs, train and the generate page's
// explore and upscale panels): element lookup and creation, the form's error box, a field's own error line and the
// job status line with its progress bar (from templates/_components.html), download links, the page's embedded JSON
// and file sizes as text. Kept apart from api.js, which knows nothing of the page.
//
// Everything here puts text into the page with textContent and attributes only, never innerHTML.

export const $ = (id) => document.getElementById(id);

/** A new element with an optional class and text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/** A decorative line icon (24 × 24 path `d`, stroked in the text colour), hidden from assistive technology. */
export function svgIcon(d, { size = 16, strokeWidth = 2 } = {}) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: String(size), height: String(size),
    "aria-hidden": "true", focusable: "false" })) svg.setAttribute(k, v);
  const path = document.createElementNS(SVG, "path");
  for (const [k, v] of Object.entries({ d, fill: "none", stroke: "currentColor", "stroke-width": String(strokeWidth),
    "stroke-linecap": "round", "stroke-linejoin": "round" })) path.setAttribute(k, v);
  svg.append(path);
  return svg;
}

export const DOWNLOAD_ICON = "M12 4v11m0 0-4.5-4.5M12 15l4.5-4.5M5 19.5h14";

/** The same file's URL, asking the server to send it as a download (Content-Disposition: attachment). */
export function withDownload(url) {
  return url + (url.includes("?") ? "&" : "?") + "download=1";
}

/** Scrolling behaviour that respects the person's reduced-motion setting. */
export function smoothScroll() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
}

/** JSON the server embedded in the page (a <script type="application/json" id=…>), or `fallback` when it is
 * missing or unreadable. */
export function readEmbeddedJson(id, fallback) {
  const node = $(id);
  if (!node) return fallback;
  try {
    return JSON.parse(node.textContent || "null") ?? fallback;
  } catch {
    return fallback;
  }
}

/** A file size as a person reads it: bytes, KB or MB. */
export function formatBytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

// ---------------------------------------------------------------- the form's error box and field errors

/** Fills and shows the page's error box (#form-error); returns it, so the page can bring it into view its own way. */
export function showFormError(title, message) {
  const box = $("form-error");
  $("form-error-title").textContent = title;
  const body = $("form-error-message");
  body.textContent = message || "";
  body.hidden = !message;
  box.hidden = false;
  return box;
}

export function clearFormError() {
  $("form-error").hidden = true;
  $("form-error-title").textContent = "";
  $("form-error-message").textContent = "";
}

/** Marks a form field invalid (aria-invalid) and shows `message` in its error line (#<id>-error, which the input's
 * aria-describedby names), or clears both when `message` is empty. */
export function setFieldError(input, message) {
  const error = $(`${input.id}-error`);
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  if (error) {
    error.textContent = message || "";
    error.hidden = !message;
  }
}

/** [title, message] to show for a failure: an ApiError's or PhotoError's own words (anything with a title), else a
 * generic title over the error's text. */
export function describeError(err) {
  if (err instanceof Error && typeof err.title === "string") return [err.title, err.message];
  return ["Something went wrong", String((err && err.message) || err)];
}

// ---------------------------------------------------------------- the job status line and progress bar

const BUSY = new Set(["submitting", "queued", "running"]);
export const QUEUED = "Queued, waiting for a worker…";
/**
 * Shows a job's state in the status line and progress bar (#status, #status-text, #status-percent, #progress,
 * #progress-bar). state: idle | submitting | queued | running | succeeded | failed, or a page's own (repair's
 * "preparing"); `progress` is 0..1 when known. `pending` keeps the bar indeterminate whatever the state.
 * Returns whether a job is busy (submitting, queued or running).
 */
export function showJobStatus(state, text, progress, { pending = false } = {}) {
  $("status").dataset.state = state;
  $("status-text").textContent = text;
  const busy = BUSY.has(state);
  const known = typeof progress === "number" && Number.isFinite(progress);
  const pct = known ? Math.round(Math.min(1, Math.max(0, progress)) * 100) : 0;
  const shown = state === "succeeded" ? 100 : pct;
  const bar = $("progress");
  $("progress-bar").style.width = `${shown}%`;
  bar.setAttribute("aria-valuenow", String(shown));
  bar.dataset.indeterminate = String(pending || (busy && !(state === "running" && pct > 0)));
  $("status-percent").textContent = state === "running" && pct > 0 ? `${pct}%` : "";
  return busy;
}

/** pollJob's onRetry and onUpdate for a page whose `setStatus(state, text, progress)` drives the status line;
 * `working` is what a running job with some progress is doing ("Generating…"). */
export function statusUpdates(setStatus, working) {
  return {
    onRetry: () => setStatus("running", "Connection lost, retrying…"),
    onUpdate: (update) => {
      if (update.status === "running") {
        const progress = update.progress || 0;
        setStatus("running", progress > 0 ? working : "Starting…", progress);
      } else {
        setStatus("queued", QUEUED);
      }
    },
  };
}
