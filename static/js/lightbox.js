// The large view shared by the studio's pages: one image at a time over the dimmed page.
//
// Keyboard: Esc closes, ← / → step through the images (wrapping around), Tab stays inside the view, and focus
// goes back to whatever opened it. Small images (a 28-pixel digit) are enlarged by a whole factor with crisp
// pixels; large photos are fitted to the window. Built with createElement and textContent only.
//
//   openLightbox(items, { start, label })
//   item = { src, alt, title, details?, download?: { href, filename?, label? }, actions?: [{ label, title?, run }] }
//   (an action is a button in the bar; pressing it closes the view and calls run())

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  close: "M6 6l12 12M18 6 6 18",
  prev: "M14.5 5.5 8 12l6.5 6.5",
  next: "M9.5 5.5 16 12l-6.5 6.5",
  download: "M12 4v11m0 0-4.5-4.5M12 15l4.5-4.5M5 19.5h14",
};

function icon(name, size = 20) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: size, height: size, "aria-hidden": "true",
    focusable: "false" })) svg.setAttribute(k, String(v));
  const path = document.createElementNS(SVG, "path");
  for (const [k, v] of Object.entries({ d: ICONS[name], fill: "none", stroke: "currentColor", "stroke-width": "2",
    "stroke-linecap": "round", "stroke-linejoin": "round" })) path.setAttribute(k, v);
  svg.append(path);
  return svg;
}

function el(tag, className, attributes = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  return node;
}

let view = null; // the dialog's parts, built on first use
let state = { items: [], index: 0, returnFocus: null };

function build() {
  const dialog = el("dialog", "lightbox", { "aria-describedby": "lightbox-title" });

  const bar = el("div", "lightbox__bar");
  const heading = el("div", "lightbox__heading");
  const title = el("h2", "lightbox__title", { id: "lightbox-title" });
  const details = el("p", "lightbox__details", { id: "lightbox-details" });
  heading.append(title, details);
  const counter = el("span", "lightbox__counter", { "aria-live": "polite" });
  const download = el("a", "button button--secondary lightbox__download");
  const downloadLabel = el("span");
  download.append(icon("download", 18), downloadLabel);
  const close = el("button", "button button--icon lightbox__close", { type: "button", "aria-label": "Close",
    title: "Close (Esc)" });
  close.append(icon("close"));
  const actions = el("div", "lightbox__actions");
  bar.append(heading, counter, actions, download, close);

  const stage = el("div", "lightbox__stage");
  const prev = el("button", "lightbox__nav lightbox__nav--prev", { type: "button", "aria-label": "Previous image",
    title: "Previous (←)" });
  prev.append(icon("prev", 26));
  const next = el("button", "lightbox__nav lightbox__nav--next", { type: "button", "aria-label": "Next image",
    title: "Next (→)" });
  next.append(icon("next", 26));
  const figure = el("figure", "lightbox__figure");
  const img = el("img", "lightbox__img", { decoding: "async" });
  const broken = el("p", "lightbox__broken");
  broken.hidden = true;
  figure.append(img, broken);
  stage.append(prev, figure, next);

  dialog.append(bar, stage);
  document.body.append(dialog);

  close.addEventListener("click", () => dialog.close());
  prev.addEventListener("click", () => step(-1));
  next.addEventListener("click", () => step(1));
  // A click on the dimmed backdrop or the empty stage around the image closes, like Esc.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog || event.target === stage || event.target === figure) dialog.close();
  });
  dialog.addEventListener("keydown", onKeydown);
  dialog.addEventListener("close", onClose);
  img.addEventListener("load", () => {
    stage.dataset.loading = "false";
    fit();
  });
  img.addEventListener("error", () => {
    stage.dataset.loading = "false";
    img.hidden = true;
    broken.hidden = false;
    broken.textContent = "This image could not be loaded; it may have expired on the server.";
  });
  window.addEventListener("resize", () => {
    if (dialog.open) fit();
  });
  return { dialog, title, details, counter, actions, download, downloadLabel, close, prev, next, stage, img, broken };
}

/** Whole-number enlargement for small images (square, crisp pixels); large ones are scaled down to fit. */
function fit() {
  const { img, stage } = view;
  const w = img.naturalWidth;
  const h = img.naturalHeight;
  if (!w || !h) return;
  const box = stage.getBoundingClientRect();
  const availableW = Math.max(64, box.width - 2 * 72); // room for the arrows on each side
  const availableH = Math.max(64, box.height - 24);
  const fitScale = Math.min(availableW / w, availableH / h);
  const scale = fitScale >= 1 ? Math.floor(fitScale) : fitScale;
  img.style.width = `${Math.round(w * scale)}px`;
  img.style.height = `${Math.round(h * scale)}px`;
  img.dataset.pixelated = String(scale > 1);
}

function show(index) {
  const n = state.items.length;
  state.index = ((index % n) + n) % n;
  const item = state.items[state.index];
  const { title, details, counter, actions, download, downloadLabel, prev, next, stage, img, broken } = view;

  title.textContent = item.title || "";
  details.textContent = item.details || "";
  details.hidden = !item.details;
  counter.textContent = n > 1 ? `${state.index + 1} / ${n}` : "";
  counter.hidden = n <= 1;
  prev.hidden = next.hidden = n <= 1;

  actions.replaceChildren(...(item.actions || []).map((action) => {
    const button = el("button", "button button--secondary lightbox__action", { type: "button" });
    button.textContent = action.label;
    if (action.title) button.title = action.title;
    button.addEventListener("click", () => {
      view.dialog.close();
      action.run();
    });
    return button;
  }));
  actions.hidden = !(item.actions || []).length;

  if (item.download) {
    download.href = item.download.href;
    if (item.download.filename) download.setAttribute("download", item.download.filename);
    else download.setAttribute("download", ""); // the server's Content-Disposition names the file
    downloadLabel.textContent = item.download.label || "Download PNG";
    download.hidden = false;
  } else {
    download.hidden = true;
  }

  broken.hidden = true;
  img.hidden = false;
  img.alt = item.alt || item.title || "";
  if (img.getAttribute("src") !== item.src) {
    stage.dataset.loading = "true";
    img.removeAttribute("style");
    img.src = item.src;
  }
  if (img.complete && img.naturalWidth) {
    stage.dataset.loading = "false";
    fit();
  }
}

function step(delta) {
  if (state.items.length > 1) show(state.index + delta);
}

function focusables() {
  return [...view.dialog.querySelectorAll("a[href], button")].filter((node) => !node.hidden && !node.disabled);
}

function onKeydown(event) {
  if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
    event.preventDefault();
    step(event.key === "ArrowLeft" ? -1 : 1);
  } else if (event.key === "Tab") {
    // showModal() already makes the page behind inert; this keeps Tab from leaving for the browser's own UI.
    const nodes = focusables();
    if (!nodes.length) return;
    const first = nodes[0];
    const last = nodes[nodes.length - 1];
    const i = nodes.indexOf(document.activeElement);
    if (event.shiftKey && (i <= 0)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (i === -1 || i === nodes.length - 1)) {
      event.preventDefault();
      first.focus();
    }
  }
}

function onClose() {
  document.documentElement.classList.remove("has-lightbox");
  const target = state.returnFocus;
  state = { items: [], index: 0, returnFocus: null };
  // "close" arrives as a queued event, after Chromium has already put focus back on the opener and perhaps after
  // the person has tabbed on: only take focus back if it is nowhere useful (on the page body or the closed view).
  const active = document.activeElement;
  const lost = !active || active === document.body || view.dialog.contains(active);
  if (target && target.isConnected && lost) target.focus({ preventScroll: true });
}

/** Opens the large view on `items[start]`. Focus returns to the element that had it (or `returnFocus`). */
export function openLightbox(items, { start = 0, label = "Large view", returnFocus = null } = {}) {
  if (!Array.isArray(items) || items.length === 0) return;
  if (!view) view = build();
  state = { items, index: 0, returnFocus: returnFocus || document.activeElement };
  view.dialog.setAttribute("aria-label", label);
  document.documentElement.classList.add("has-lightbox");
  if (!view.dialog.open) view.dialog.showModal();
  show(start);
  view.close.focus();
}

/** Closes the large view if it is open. */
export function closeLightbox() {
  if (view && view.dialog.open) view.dialog.close();
}
