// A mask painted with a brush on a <canvas> at the photo's own resolution: brush and eraser strokes smoothed
// between pointer events, undo/redo by stroke, and export as a PNG (white = paint, black = untouched).
//
// The canvas keeps the mask as opaque `color` on transparency, so showing it as a tinted overlay is only CSS
// (opacity on the canvas element). Coordinates are always in image pixels; the page that shows the canvas scaled
// supplies `toImage(event)` to map pointer positions.

const HISTORY_BUDGET_BYTES = 256 * 1024 * 1024; // pixels kept for undo; the oldest steps go first
const HISTORY_MAX_STEPS = 100;
const PAINTED_ALPHA = 128; // a pixel counts as painted from half coverage (stroke edges are antialiased)

export class MaskPainter {
  /**
   * canvas: where the mask lives (its width/height become the photo's).
   * color: the overlay's colour while painting (any CSS colour).
   * onChange({canUndo, canRedo}): after every stroke, undo, redo, clear or load.
   */
  constructor(canvas, { color = "#ff3d6e", minSize = 1, maxSize = 400, onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: false });
    this.color = color;
    this.minSize = minSize;
    this.maxSize = maxSize;
    this.onChange = onChange;
    this.tool = "brush"; // brush | eraser
    this._size = 24; // brush diameter in image pixels
    this.backup = document.createElement("canvas"); // the mask as it was when the stroke began
    this.undoStack = [];
    this.redoStack = [];
    this.stroke = null;
    this._painted = 0; // cached count of painted pixels; null = not known
  }

  get width() { return this.canvas.width; }
  get height() { return this.canvas.height; }
  get size() { return this._size; }
  set size(value) {
    this._size = Math.round(Math.min(this.maxSize, Math.max(this.minSize, value)));
  }
  get canUndo() { return this.undoStack.length > 0; }
  get canRedo() { return this.redoStack.length > 0; }
  get painting() { return this.stroke !== null; }

  /** A new, empty mask of the given size; history is forgotten. */
  reset(width, height) {
    this.cancelStroke();
    this.canvas.width = width;
    this.canvas.height = height;
    this.backup.width = width;
    this.backup.height = height;
    this.undoStack = [];
    this.redoStack = [];
    this._painted = 0;
    this._changed();
  }

  // ------------------------------------------------------------ strokes (image coordinates)

  begin(x, y) {
    if (!this.width) return;
    this.cancelStroke();
    const b = this.backup.getContext("2d");
    b.clearRect(0, 0, this.width, this.height);
    b.drawImage(this.canvas, 0, 0);
    this.stroke = { points: [{ x, y }], box: null };
    this._grow(x, y);
    this._dab(x, y);
  }

  /** Continues the stroke: a quadratic curve through the midpoints of successive points, so fast moves that
   * deliver few pointer events still draw a smooth line rather than a polygon. */
  extend(x, y) {
    const s = this.stroke;
    if (!s) return;
    const last = s.points[s.points.length - 1];
    if (Math.hypot(x - last.x, y - last.y) < 0.5) return;
    s.points.push({ x, y });
    this._grow(x, y);
    const n = s.points.length;
    const p0 = s.points[n - 3] || s.points[n - 2];
    const p1 = s.points[n - 2];
    const p2 = s.points[n - 1];
    const ctx = this._pen();
    ctx.beginPath();
    ctx.moveTo((p0.x + p1.x) / 2, (p0.y + p1.y) / 2);
    ctx.quadraticCurveTo(p1.x, p1.y, (p1.x + p2.x) / 2, (p1.y + p2.y) / 2);
    ctx.stroke();
    ctx.restore();
  }

  end() {
    const s = this.stroke;
    if (!s) return;
    const n = s.points.length;
    if (n >= 2) { // the last half-segment the curve has not reached yet
      const p1 = s.points[n - 2];
      const p2 = s.points[n - 1];
      const ctx = this._pen();
      ctx.beginPath();
      ctx.moveTo((p1.x + p2.x) / 2, (p1.y + p2.y) / 2);
      ctx.lineTo(p2.x, p2.y);
      ctx.stroke();
      ctx.restore();
    }
    this.stroke = null;
    const { x0, y0, x1, y1 } = s.box;
    const box = this._clip(x0, y0, x1 - x0, y1 - y0);
    if (!box) return;
    const before = this.backup.getContext("2d").getImageData(box.x, box.y, box.w, box.h);
    const after = this.ctx.getImageData(box.x, box.y, box.w, box.h);
    this._push({ ...box, before, after });
    this._painted = null;
    this._changed();
  }

  /** Abandons a stroke in progress, putting back the mask as it was before it. */
  cancelStroke() {
    if (!this.stroke) return;
    this.stroke = null;
    this.ctx.save();
    this.ctx.globalCompositeOperation = "copy";
    this.ctx.drawImage(this.backup, 0, 0);
    this.ctx.restore();
  }

  _pen() {
    const ctx = this.ctx;
    ctx.save();
    ctx.globalCompositeOperation = this.tool === "eraser" ? "destination-out" : "source-over";
    ctx.strokeStyle = this.color;
    ctx.fillStyle = this.color;
    ctx.lineWidth = this._size;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    return ctx;
  }

  _dab(x, y) {
    const ctx = this._pen();
    ctx.beginPath();
    ctx.arc(x, y, this._size / 2, 0, Math.PI * 2);
    ctx.fill();
    ctx.restore();
  }

  _grow(x, y) {
    const r = this._size / 2 + 2;
    const s = this.stroke;
    const b = s.box || { x0: x - r, y0: y - r, x1: x + r, y1: y + r };
    s.box = {
      x0: Math.min(b.x0, x - r), y0: Math.min(b.y0, y - r), x1: Math.max(b.x1, x + r), y1: Math.max(b.y1, y + r),
    };
  }

  _clip(x, y, w, h) {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.ceil(x + w));
    const y1 = Math.min(this.height, Math.ceil(y + h));
    return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
  }

  // ------------------------------------------------------------ history

  _push(step) {
    this.undoStack.push(step);
    this.redoStack = [];
    let bytes = this.undoStack.reduce((sum, s) => sum + stepBytes(s), 0);
    while (this.undoStack.length > 1 && (bytes > HISTORY_BUDGET_BYTES || this.undoStack.length > HISTORY_MAX_STEPS)) {
      bytes -= stepBytes(this.undoStack.shift());
    }
  }

  _apply(step, data) {
    if (data) this.ctx.putImageData(data, step.x, step.y);
    else this.ctx.clearRect(step.x, step.y, step.w, step.h);
  }

  undo() {
    if (this.painting || !this.undoStack.length) return false;
    const step = this.undoStack.pop();
    this._apply(step, step.before);
    this.redoStack.push(step);
    this._painted = null;
    this._changed();
    return true;
  }

  redo() {
    if (this.painting || !this.redoStack.length) return false;
    const step = this.redoStack.pop();
    this._apply(step, step.after);
    this.undoStack.push(step);
    this._painted = null;
    this._changed();
    return true;
  }

  /** Erases the whole mask (one undoable step). */
  clear() {
    if (!this.width || this.isEmpty()) return;
    const before = this.ctx.getImageData(0, 0, this.width, this.height);
    this.ctx.clearRect(0, 0, this.width, this.height);
    this._push({ x: 0, y: 0, w: this.width, h: this.height, before, after: null });
    this._painted = 0;
    this._changed();
  }

  /** Replaces the mask with an image where white (and opaque) means paint, like the masks the API takes and
   * returns. The image must be the mask's size. One undoable step, unless `undoable` is false. */
  load(source, { undoable = true } = {}) {
    const w = this.width;
    const h = this.height;
    const scratch = document.createElement("canvas");
    scratch.width = w;
    scratch.height = h;
    const sctx = scratch.getContext("2d", { willReadFrequently: true });
    sctx.drawImage(source, 0, 0, w, h);
    const data = sctx.getImageData(0, 0, w, h);
    const px = data.data;
    const [r, g, b] = parseColor(this.color);
    let painted = 0;
    for (let i = 0; i < px.length; i += 4) {
      const lum = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
      const on = lum > 127.5 && px[i + 3] > 127;
      px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = on ? 255 : 0;
      painted += on;
    }
    const before = undoable ? this.ctx.getImageData(0, 0, w, h) : null;
    this.ctx.putImageData(data, 0, 0);
    if (undoable) this._push({ x: 0, y: 0, w, h, before, after: data });
    this._painted = painted;
    this._changed();
    return painted;
  }

  // ------------------------------------------------------------ reading the mask

  /** How many pixels are painted (counted once per change). */
  paintedPixels() {
    if (this._painted === null) {
      if (!this.width) return 0;
      const px = this.ctx.getImageData(0, 0, this.width, this.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) n += px[i] >= PAINTED_ALPHA;
      this._painted = n;
    }
    return this._painted;
  }

  isEmpty() {
    return this.paintedPixels() === 0;
  }

  /** The mask as a PNG at the photo's resolution: white where painted, black elsewhere. */
  toBlob() {
    const w = this.width;
    const h = this.height;
    const data = this.ctx.getImageData(0, 0, w, h);
    const px = data.data;
    for (let i = 0; i < px.length; i += 4) {
      const v = px[i + 3] >= PAINTED_ALPHA ? 255 : 0;
      px[i] = v; px[i + 1] = v; px[i + 2] = v; px[i + 3] = 255;
    }
    const out = document.createElement("canvas");
    out.width = w;
    out.height = h;
    out.getContext("2d").putImageData(data, 0, 0);
    return new Promise((resolve, reject) => {
      out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("The mask could not be encoded."))), "image/png");
    });
  }

  // ------------------------------------------------------------ pointer input

  /**
   * Paints with pointer events on `target` (mouse, pen and touch alike). `toImage(event)` maps a pointer event to
   * image pixels; `canPaint(event)` says whether a press should paint (false leaves it to others, e.g. panning).
   */
  attach(target, { toImage, canPaint = () => true }) {
    let pointerId = null;
    target.addEventListener("pointerdown", (event) => {
      if (pointerId !== null || !canPaint(event)) return;
      event.preventDefault();
      pointerId = event.pointerId;
      target.setPointerCapture(event.pointerId);
      const p = toImage(event);
      this.begin(p.x, p.y);
    });
    target.addEventListener("pointermove", (event) => {
      if (event.pointerId !== pointerId) return;
      // Coalesced events: every position the pointer passed through since the last frame, not just the latest.
      const events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [];
      for (const e of events.length ? events : [event]) {
        const p = toImage(e);
        this.extend(p.x, p.y);
      }
    });
    const finish = (event) => {
      if (event.pointerId !== pointerId) return;
      pointerId = null;
      if (event.type === "pointercancel") this.cancelStroke();
      else this.end();
    };
    target.addEventListener("pointerup", finish);
    target.addEventListener("pointercancel", finish);
    target.addEventListener("lostpointercapture", finish);
  }

  _changed() {
    this.onChange({ canUndo: this.canUndo, canRedo: this.canRedo });
  }
}

function stepBytes(step) {
  return (step.before ? step.before.data.length : 0) + (step.after ? step.after.data.length : 0);
}

function parseColor(color) {
  const c = document.createElement("canvas").getContext("2d");
  c.fillStyle = color;
  const hex = c.fillStyle; // normalised to #rrggbb for opaque colours
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [255, 61, 110];
}
