// A photo viewer for the studio: zoom (wheel, buttons, keys) and pan (drag, arrow keys) inside a fixed stage, and a
// before/after comparison whose divider is dragged with the pointer or moved with the keyboard (role=slider).
//
// Layout it expects: `stage` (overflow hidden, position relative) holds `world` (absolutely placed at 0,0 and
// sized to the photo's pixels; everything inside it is in image coordinates) and `divider`. Inside the world,
// `after` is the layer cut away left of the divider, so the "before" layer underneath shows there. Controls placed
// on the stage (the divider, zoom buttons) carry `data-stage-ui`, so pressing them never pans.

const MAX_SCALE = 32; // 32 screen pixels per image pixel at most
const MIN_FIT_FRACTION = 0.25; // zoom out to a quarter of the fitted size at most
const WHEEL_ZOOM_SPEED = 0.0015; // scale factor per wheel delta pixel (exponential)
const KEY_ZOOM = 1.25; // one press of + or -
const KEY_PAN_PX = 48; // one press of an arrow key on the stage
const FIT_MARGIN_PX = 16; // space left around a fitted photo
const PIXELATED_FROM = 2; // at this zoom and more, pixels are shown as crisp squares

export class CompareView {
  /**
   * stage, world, after, divider: the elements above.
   * canPan(event): whether a press on the stage should pan (the page may want it for painting instead).
   * onChange({scale, fitted}): after every zoom or pan.
   * onSplit(fraction): after the divider moved.
   */
  constructor({ stage, world, after, divider, canPan = () => true, onChange = () => {}, onSplit = () => {} }) {
    Object.assign(this, { stage, world, after, divider, canPan, onChange, onSplit });
    this.width = 0; // photo size in image pixels
    this.height = 0;
    this.scale = 1;
    this.tx = 0; // translation of the world in stage pixels
    this.ty = 0;
    this.fitted = true; // follows the stage's size until the person zooms or pans
    this.split = 0.5; // divider position, as a fraction of the stage's width
    this.comparing = false;
    this._bindPointer();
    this._bindDivider();
    this._bindKeys();
    new ResizeObserver(() => (this.fitted ? this.fit() : this._apply())).observe(stage);
  }

  // ------------------------------------------------------------ geometry

  setImage(width, height) {
    this.width = width;
    this.height = height;
    this.world.style.width = `${width}px`;
    this.world.style.height = `${height}px`;
    this.fit();
  }

  get fitScale() {
    const w = this.stage.clientWidth - 2 * FIT_MARGIN_PX;
    const h = this.stage.clientHeight - 2 * FIT_MARGIN_PX;
    if (!this.width || !this.height || w <= 0 || h <= 0) return 1;
    return Math.min(w / this.width, h / this.height);
  }

  fit() {
    this.fitted = true;
    this.scale = this.fitScale;
    this._apply();
  }

  /** Zooms so one image pixel is one screen pixel (CSS pixel), around the stage's centre. */
  actualSize() {
    this.zoomTo(1);
  }

  /** Zooms to `scale`, keeping the image point under `at` (stage coordinates; default: the centre) in place. */
  zoomTo(scale, at = null) {
    if (!this.width) return;
    const min = Math.min(1, this.fitScale * MIN_FIT_FRACTION);
    const next = Math.min(MAX_SCALE, Math.max(min, scale));
    const cx = at ? at.x : this.stage.clientWidth / 2;
    const cy = at ? at.y : this.stage.clientHeight / 2;
    const ix = (cx - this.tx) / this.scale; // the image point under the anchor
    const iy = (cy - this.ty) / this.scale;
    this.scale = next;
    this.tx = cx - ix * next;
    this.ty = cy - iy * next;
    this.fitted = false;
    this._apply();
  }

  zoomBy(factor, at = null) {
    this.zoomTo(this.scale * factor, at);
  }

  panBy(dx, dy) {
    this.tx += dx;
    this.ty += dy;
    this.fitted = false;
    this._apply();
  }

  /** A pointer event's position in image pixels (may lie outside the photo). */
  toImage(event) {
    const p = this.stagePoint(event);
    return { x: (p.x - this.tx) / this.scale, y: (p.y - this.ty) / this.scale };
  }

  /** A pointer event's position inside the stage (its padding box), in CSS pixels. */
  stagePoint(event) {
    const box = this.stage.getBoundingClientRect();
    return { x: event.clientX - box.left - this.stage.clientLeft, y: event.clientY - box.top - this.stage.clientTop };
  }

  /** A photo smaller than the stage is centred; a larger one may be dragged until its edge meets the stage's. */
  _clamp() {
    const sw = this.stage.clientWidth;
    const sh = this.stage.clientHeight;
    const w = this.width * this.scale;
    const h = this.height * this.scale;
    const m = FIT_MARGIN_PX;
    this.tx = w + 2 * m <= sw ? (sw - w) / 2 : Math.min(m, Math.max(sw - w - m, this.tx));
    this.ty = h + 2 * m <= sh ? (sh - h) / 2 : Math.min(m, Math.max(sh - h - m, this.ty));
  }

  _apply() {
    if (this.fitted) this.scale = this.fitScale;
    this._clamp();
    this.world.style.transform = `translate(${this.tx}px, ${this.ty}px) scale(${this.scale})`;
    this.world.classList.toggle("is-pixelated", this.scale >= PIXELATED_FROM);
    // The photo's visible rectangle, for overlays that sit on the photo rather than on the stage.
    const sw = this.stage.clientWidth;
    const sh = this.stage.clientHeight;
    const left = Math.max(0, this.tx);
    const top = Math.max(0, this.ty);
    const right = Math.min(sw, this.tx + this.width * this.scale);
    const bottom = Math.min(sh, this.ty + this.height * this.scale);
    this.stage.style.setProperty("--photo-left", `${left}px`);
    this.stage.style.setProperty("--photo-top", `${top}px`);
    this.stage.style.setProperty("--photo-width", `${Math.max(0, right - left)}px`);
    this.stage.style.setProperty("--photo-height", `${Math.max(0, bottom - top)}px`);
    this._applySplit();
    this.onChange({ scale: this.scale, fitted: this.fitted });
  }

  // ------------------------------------------------------------ before / after

  setComparing(on) {
    this.comparing = on;
    this.divider.hidden = !on;
    this._applySplit();
  }

  setSplit(fraction) {
    this.split = Math.min(1, Math.max(0, fraction));
    this._applySplit();
    this.onSplit(this.split);
  }

  _applySplit() {
    const pct = Math.round(this.split * 1000) / 10;
    this.divider.style.left = `${pct}%`;
    const now = Math.round(this.split * 100);
    this.divider.setAttribute("aria-valuenow", String(now));
    this.divider.setAttribute("aria-valuetext", `${now}% before, ${100 - now}% after`);
    // The after layer lives in image coordinates: cut it where the divider crosses the photo.
    const cut = this.comparing ? (this.split * this.stage.clientWidth - this.tx) / this.scale : 0;
    const inset = Math.min(this.width, Math.max(0, cut));
    this.after.style.clipPath = this.comparing ? `inset(0 0 0 ${inset.toFixed(2)}px)` : "none";
  }

  // ------------------------------------------------------------ input

  _bindPointer() {
    const stage = this.stage;
    let drag = null;
    stage.addEventListener("pointerdown", (event) => {
      if (drag || event.target.closest("[data-stage-ui]")) return; // the divider, zoom buttons: their own clicks
      const middle = event.button === 1;
      if (!middle && (event.button !== 0 || !this.canPan(event))) return;
      event.preventDefault();
      stage.setPointerCapture(event.pointerId);
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
      stage.classList.add("is-panning");
    });
    stage.addEventListener("pointermove", (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      this.panBy(event.clientX - drag.x, event.clientY - drag.y);
      drag.x = event.clientX;
      drag.y = event.clientY;
    });
    const end = (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      drag = null;
      stage.classList.remove("is-panning");
    };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
    stage.addEventListener("lostpointercapture", end);

    stage.addEventListener("wheel", (event) => {
      if (!this.width) return;
      event.preventDefault();
      const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? stage.clientHeight : 1; // lines / pages
      const factor = Math.exp(-event.deltaY * unit * WHEEL_ZOOM_SPEED);
      this.zoomBy(factor, this.stagePoint(event));
    }, { passive: false });
  }

  _bindDivider() {
    const divider = this.divider;
    divider.dataset.stageUi = "";
    let dragging = null;
    divider.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      event.stopPropagation();
      divider.focus({ preventScroll: true });
      divider.setPointerCapture(event.pointerId);
      dragging = event.pointerId;
      divider.classList.add("is-dragging");
    });
    divider.addEventListener("pointermove", (event) => {
      if (event.pointerId !== dragging) return;
      this.setSplit(this.stagePoint(event).x / this.stage.clientWidth);
    });
    const end = (event) => {
      if (event.pointerId !== dragging) return;
      dragging = null;
      divider.classList.remove("is-dragging");
    };
    divider.addEventListener("pointerup", end);
    divider.addEventListener("pointercancel", end);
    divider.addEventListener("keydown", (event) => {
      const step = event.shiftKey ? 0.1 : 0.01;
      const moves = {
        ArrowLeft: this.split - step, ArrowDown: this.split - step, ArrowRight: this.split + step,
        ArrowUp: this.split + step, PageDown: this.split - 0.1, PageUp: this.split + 0.1, Home: 0, End: 1,
      };
      if (!(event.key in moves)) return;
      event.preventDefault();
      event.stopPropagation(); // the stage's arrow keys pan; here they move the divider
      this.setSplit(moves[event.key]);
    });
  }

  _bindKeys() {
    this.stage.addEventListener("keydown", (event) => {
      if (event.target !== this.stage || event.ctrlKey || event.metaKey || event.altKey) return;
      const pans = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
      if (!(event.key in pans)) return;
      event.preventDefault();
      const [dx, dy] = pans[event.key];
      const step = event.shiftKey ? KEY_PAN_PX * 4 : KEY_PAN_PX;
      this.panBy(dx * step, dy * step);
    });
  }

  /** Handles the zoom keys (+, -, 0 to fit, 1 for actual size); returns true when the key was one of them. */
  handleZoomKey(event) {
    if (!this.width || event.ctrlKey || event.metaKey || event.altKey) return false;
    switch (event.key) {
      case "+":
      case "=":
        this.zoomBy(KEY_ZOOM);
        return true;
      case "-":
      case "_":
        this.zoomBy(1 / KEY_ZOOM);
        return true;
      case "0":
        this.fit();
        return true;
      case "1":
        this.actualSize();
        return true;
      default:
        return false;
    }
  }
}
