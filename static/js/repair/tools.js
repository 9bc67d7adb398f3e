// The repair page's tools: the task and its strength, the mask brush (tool, size, undo/redo, show/hide, the brush
// cursor), the mask's hint and statistics, zoom and the before/after comparison, and the keyboard shortcuts for all
// of them. Separate from loading photos and running jobs: this is everything that happens on the stage while the
// person works, and it only reads what those modules load.

import { canPaint, currentTask, els, maskEditable, painter, state, taskUsesMask, view } from "./state.js";
import { updateSubmitLabel } from "./status.js";

const BRUSH_STEP = 1.25; // [ and ] divide / multiply the brush size by this (and change it by 1 px at least)
const MASK_STATS_DELAY_MS = 120; // counting painted pixels waits until painting pauses

let maskStatsTimer = 0;

/** Whether a key press or paste goes to a text field (where it must keep its usual meaning). */
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || target.closest("select, textarea")) return true;
  return target instanceof HTMLInputElement && !["range", "checkbox", "radio", "button", "file"].includes(target.type);
}

// ---------------------------------------------------------------- task, strength and tools

export function showTask() {
  const task = currentTask();
  els.strengthField.hidden = !(task === "denoise" || task === "auto");
  els.maskSection.hidden = !taskUsesMask(task);
  els.paintTools.hidden = !state.photo || !taskUsesMask(task);
  els.toolbarNote.hidden = !state.photo || taskUsesMask(task);
  for (const hint of document.querySelectorAll("[data-paint-help]")) hint.hidden = !taskUsesMask(task);
  updateMaskLayer();
  updateMaskHint();
  updateSubmitLabel();
  updateCursorMode();
}

export function showSigma() {
  const blind = els.sigmaBlind.checked;
  const value = Number(els.sigma.value);
  els.sigmaValue.textContent = blind ? "auto" : String(value);
  els.sigma.setAttribute("aria-valuetext", blind ? "automatic (estimated from the photo)" : String(value));
  els.sigma.classList.toggle("range--inactive", blind);
  const fill = (value / Number(els.sigma.max)) * 100;
  els.sigma.style.setProperty("--fill", `${fill}%`);
}

export function setTool(tool) {
  state.tool = tool;
  for (const [name, button] of [["brush", els.toolBrush], ["eraser", els.toolEraser], ["move", els.toolMove]]) {
    button.setAttribute("aria-pressed", String(name === tool));
  }
  painter.tool = tool === "eraser" ? "eraser" : "brush";
  updateCursorMode();
}

export function setBrushSize(size) {
  painter.size = size;
  els.brushSize.value = String(painter.size);
  els.brushSizeValue.textContent = `${painter.size} px`;
  els.brushSize.setAttribute("aria-valuetext", `${painter.size} pixels`);
  const min = Number(els.brushSize.min);
  const fill = ((painter.size - min) / (Number(els.brushSize.max) - min)) * 100;
  els.brushSize.style.setProperty("--fill", `${fill}%`);
  updateCursorSize();
}

function stepBrush(direction) {
  const size = painter.size;
  const next = direction > 0 ? Math.max(size + 1, Math.round(size * BRUSH_STEP))
    : Math.min(size - 1, Math.round(size / BRUSH_STEP));
  setBrushSize(next);
}

/** The mask overlay shows while masks matter for the task and the person has not hidden it. */
export function updateMaskLayer() {
  els.maskCanvas.hidden = !(maskEditable() && els.showMask.checked);
}

function updateCursorMode() {
  const panning = state.spaceHeld || state.tool === "move" || !maskEditable();
  const mode = !state.photo ? "none" : panning ? "move" : state.tool;
  els.stage.dataset.tool = mode;
  if (mode !== "brush" && mode !== "eraser") els.cursor.hidden = true;
}

function updateCursorSize() {
  const d = painter.size * view.scale;
  els.cursor.style.width = `${d}px`;
  els.cursor.style.height = `${d}px`;
}

function moveCursor(event) {
  const mode = els.stage.dataset.tool;
  const overControl = event.target instanceof Element && event.target.closest("[data-stage-ui]");
  if ((mode !== "brush" && mode !== "eraser") || event.pointerType === "touch" || overControl) {
    els.cursor.hidden = true;
    return;
  }
  const p = view.stagePoint(event);
  els.cursor.style.transform = `translate(${p.x}px, ${p.y}px) translate(-50%, -50%)`;
  els.cursor.hidden = false;
}

// ---------------------------------------------------------------- mask state

function onMaskChange({ canUndo, canRedo }) {
  els.undo.disabled = !canUndo;
  els.redo.disabled = !canRedo;
  clearTimeout(maskStatsTimer);
  maskStatsTimer = setTimeout(updateMaskStats, MASK_STATS_DELAY_MS);
}

export function updateMaskStats() {
  if (!state.photo) return;
  const painted = painter.paintedPixels();
  els.clearMask.disabled = painted === 0;
  els.stage.dataset.maskPixels = String(painted);
  if (painted === 0 && state.maskOrigin !== "none") state.maskOrigin = "none";
  updateMaskHint();
  updateSubmitLabel();
}

function updateMaskHint() {
  const task = currentTask();
  const painted = state.photo ? painter.paintedPixels() : 0;
  const share = state.photo ? painted / (painter.width * painter.height) : 0;
  els.maskShare.textContent = painted === 0 ? "" : `${share < 0.001 ? "<0.1" : (share * 100).toFixed(1)}% marked`;
  if (!state.photo) {
    els.maskHint.textContent = task === "inpaint" ? "Load a photo, then paint over what to fill in."
      : "Optional: auto repair finds the damage itself.";
  } else if (task === "inpaint") {
    els.maskHint.textContent = painted === 0 ? "Paint over what to fill in, on the photo."
      : "Marked areas are filled in from the photo around them.";
  } else if (painted === 0) {
    els.maskHint.textContent = "Optional: auto repair finds the damage itself. Paint only to tell it where instead.";
  } else if (state.maskOrigin === "detected") {
    els.maskHint.textContent = "The damage it found. Brush adds, eraser removes; then re-run.";
  } else {
    els.maskHint.textContent = "Your mask is used and detection skipped. Clear it to detect again.";
  }
}

// ---------------------------------------------------------------- view

function onViewChange({ scale }) {
  els.zoomValue.textContent = state.photo ? `${Math.round(scale * 100)}%` : "–";
  updateCursorSize();
}

export function setComparing(on) {
  const available = state.result !== null;
  view.setComparing(available && on);
  els.compareToggle.setAttribute("aria-pressed", String(available && on));
  els.compareToggle.hidden = !available;
  els.legend.hidden = !(available && on);
  els.afterImg.hidden = !available;
}

// ---------------------------------------------------------------- keyboard

function onKeyDown(event) {
  if (isTyping(event.target)) return;
  const key = event.key;
  const mod = event.ctrlKey || event.metaKey;

  if (key === " " && !mod) {
    // Space held: drag pans while painting. Buttons and checkboxes keep their own Space.
    const target = event.target;
    const own = target instanceof Element && target.closest("button, a, input, [role=slider]");
    if (!state.photo || own) return;
    event.preventDefault();
    if (!state.spaceHeld) {
      state.spaceHeld = true;
      updateCursorMode();
    }
    return;
  }
  if (!state.photo) return;
  if (mod && !event.altKey) {
    const lower = key.toLowerCase();
    if (lower === "z" || lower === "y") {
      if (!maskEditable()) return;
      event.preventDefault();
      if (lower === "y" || event.shiftKey) painter.redo();
      else painter.undo();
    }
    return;
  }
  if (event.altKey) return;
  if (view.handleZoomKey(event)) {
    event.preventDefault();
    return;
  }
  const lower = key.toLowerCase();
  if (maskEditable()) {
    if (key === "[" || key === "]") {
      event.preventDefault();
      stepBrush(key === "]" ? 1 : -1);
      return;
    }
    const tools = { b: "brush", e: "eraser", h: "move" };
    if (lower in tools) {
      setTool(tools[lower]);
      return;
    }
    if (lower === "m") {
      els.showMask.checked = !els.showMask.checked;
      updateMaskLayer();
      return;
    }
  }
  if (lower === "c" && state.result) setComparing(!view.comparing);
}

function onKeyUp(event) {
  if (event.key === " " && state.spaceHeld) {
    state.spaceHeld = false;
    updateCursorMode();
  }
}

// ---------------------------------------------------------------- wiring

/** Connects the painter, the view, the stage, the tool controls and the keyboard; called once by the page. */
export function bindTools() {
  painter.onChange = onMaskChange;
  view.onChange = onViewChange;
  painter.attach(els.stage, { toImage: (event) => view.toImage(event), canPaint });
  // The canvas takes keyboard focus when pressed, so Space, [ ] and the undo keys act on it right away.
  els.stage.addEventListener("pointerdown", (event) => {
    if (state.photo && !event.target.closest("[data-stage-ui]")) els.stage.focus({ preventScroll: true });
    if (canPaint(event)) {
      state.maskOrigin = state.maskOrigin === "detected" ? "detected" : "painted";
      moveCursor(event);
    }
  }, true);
  els.stage.addEventListener("pointermove", moveCursor);
  els.stage.addEventListener("pointerleave", () => (els.cursor.hidden = true));

  els.sigma.addEventListener("input", () => {
    els.sigmaBlind.checked = false; // moving the slider means "this strength"
    showSigma();
  });
  els.sigmaBlind.addEventListener("change", showSigma);

  els.toolBrush.addEventListener("click", () => setTool("brush"));
  els.toolEraser.addEventListener("click", () => setTool("eraser"));
  els.toolMove.addEventListener("click", () => setTool("move"));
  els.brushSize.addEventListener("input", () => setBrushSize(Number(els.brushSize.value)));
  els.undo.addEventListener("click", () => painter.undo());
  els.redo.addEventListener("click", () => painter.redo());
  els.clearMask.addEventListener("click", () => painter.clear());
  els.showMask.addEventListener("change", updateMaskLayer);

  els.zoomIn.addEventListener("click", () => view.zoomBy(1.25));
  els.zoomOut.addEventListener("click", () => view.zoomBy(1 / 1.25));
  els.zoomFit.addEventListener("click", () => view.fit());
  els.zoomActual.addEventListener("click", () => view.actualSize());
  els.compareToggle.addEventListener("click", () => setComparing(!view.comparing));

  document.addEventListener("keydown", onKeyDown);
  document.addEventListener("keyup", onKeyUp);
  window.addEventListener("blur", () => onKeyUp({ key: " " }));
}
