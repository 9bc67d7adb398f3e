// The repair page's shared state: its elements, the server's limits, what is loaded and running, and the two
// widgets everything else drives (the mask painter and the compare view). Every other repair module imports
// from here and nothing here imports them, so the modules form a chain without cycles. The widgets' change
// callbacks are set by repair/tools.js (bindTools), which owns what they update.

import { CompareView } from "../compare.js";
import { MaskPainter } from "../mask-painter.js";
import { $, readEmbeddedJson } from "../ui.js";

const MASK_COLOR = "#ff3d6e"; // the overlay's hue; the canvas element's opacity makes it see-through
export const TASK_NAMES = { auto: "Auto repair", inpaint: "Inpaint", denoise: "Denoise" };
export const TASK_DONE = { auto: "Repaired", inpaint: "Inpainted", denoise: "Denoised" };

export const form = $("repair-form");
export const els = {
  photoCard: $("photo-card"),
  photoThumb: $("photo-thumb"),
  photoName: $("photo-name"),
  photoMeta: $("photo-meta"),
  photoChoose: $("photo-choose"),
  photoInput: $("photo-input"),
  stageChoose: $("stage-choose"),
  taskPicker: $("task-picker"),
  strengthField: $("strength-field"),
  sigma: $("sigma"),
  sigmaBlind: $("sigma-blind"),
  sigmaValue: $("sigma-value"),
  qualityHigh: $("quality-high"),
  maskSection: $("mask-section"),
  maskHint: $("mask-hint"),
  maskShare: $("mask-share"),
  paintTools: $("paint-tools"),
  toolbarNote: $("toolbar-note"),
  toolBrush: $("tool-brush"),
  toolEraser: $("tool-eraser"),
  toolMove: $("tool-move"),
  brushSize: $("brush-size"),
  brushSizeValue: $("brush-size-value"),
  undo: $("undo"),
  redo: $("redo"),
  clearMask: $("clear-mask"),
  maskChoose: $("mask-choose"),
  maskInput: $("mask-input"),
  showMask: $("show-mask"),
  submit: $("submit"),
  summary: $("results-summary"),
  resultDownload: $("result-download"),
  maskDownload: $("mask-download"),
  legend: $("compare-legend"),
  compareToggle: $("compare-toggle"),
  zoom: $("zoom"),
  zoomOut: $("zoom-out"),
  zoomIn: $("zoom-in"),
  zoomFit: $("zoom-fit"),
  zoomActual: $("zoom-actual"),
  zoomValue: $("zoom-value"),
  stage: $("stage"),
  world: $("world"),
  beforeImg: $("before-img"),
  afterImg: $("after-img"),
  maskCanvas: $("mask-canvas"),
  cursor: $("brush-cursor"),
  divider: $("compare-divider"),
  stageEmpty: $("stage-empty"),
};

/** Limits and installed models, embedded by the server as JSON. */
export const config = readEmbeddedJson("repair-data", {});

export const state = {
  photo: null, // {file, name, format, width, height, url, previewed}: file is what is sent, url what is shown
  result: null, // {job, task, usedMask, url, maskUrl}
  tool: "brush", // brush | eraser | move
  spaceHeld: false,
  maskOrigin: "none", // none | painted | file | detected | job: where the mask's content came from
  busy: false, // a job is being sent or followed
  preparing: false, // a photo or mask is being decoded by the server
  run: 0, // incremented per job followed; an older poll loop stops when it sees a newer one
  photoGeneration: 0, // incremented per photo load; a slower, older load is dropped
};

export function currentTask() {
  const checked = form ? form.querySelector('input[name="task"]:checked') : null;
  return checked ? checked.value : null;
}

export const taskUsesMask = (task) => task === "inpaint" || task === "auto";
export const maskEditable = () => state.photo !== null && taskUsesMask(currentTask());

/** Whether this press on the stage paints (rather than panning, or pressing a control on the stage). */
export function canPaint(event) {
  return maskEditable() && state.tool !== "move" && !state.spaceHeld && event.button === 0 &&
    !event.target.closest("[data-stage-ui]");
}

export const painter = new MaskPainter(els.maskCanvas, { color: MASK_COLOR });
export const view = new CompareView({
  stage: els.stage,
  world: els.world,
  after: els.afterImg,
  divider: els.divider,
  canPan: (event) => state.photo !== null && !canPaint(event),
});
