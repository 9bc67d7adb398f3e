// The generate page's request form: reading and checking its fields, filling it from parameters (a link such as the
// Jobs page's "Re-run", or "Edit" on the results on show) and saying which of those could not be used, the random
// seed dice and the truncation slider. Separate from sending the request: this module only turns the form into a
// request body and back.

import { el, setFieldError } from "../ui.js";
import { els, modelById } from "./page.js";
import { showModel } from "./models.js";

/** An integer read from a number input, checked against the input's own min/max; returns [value, error]. */
function readInteger(input, { name, optional }) {
  const raw = input.value.trim();
  if (input.validity && input.validity.badInput) return [undefined, `The ${name} must be a whole number.`];
  if (raw === "") {
    if (optional) return [undefined, null];
    return [undefined, `Enter a ${name}.`];
  }
  const value = Number(raw);
  if (!Number.isInteger(value)) return [undefined, `The ${name} must be a whole number.`];
  const min = input.min === "" ? -Infinity : Number(input.min);
  const max = input.max === "" ? Infinity : Number(input.max);
  if (value < min || value > max) return [undefined, `The ${name} must be between ${input.min} and ${input.max}.`];
  return [value, null];
}

/** The request body from the form, or null after marking the fields that are wrong. */
export function readRequest() {
  let firstBad = null;
  const [seed, seedError] = readInteger(els.seed, { name: "seed", optional: true });
  setFieldError(els.seed, seedError);
  if (seedError) firstBad = firstBad || els.seed;

  const [count, countError] = readInteger(els.count, { name: "count", optional: false });
  setFieldError(els.count, countError);
  if (countError) firstBad = firstBad || els.count;

  if (firstBad) {
    firstBad.focus();
    return null;
  }
  const body = { model: els.model.value, count, truncation: Number(els.truncation.value) };
  if (seed !== undefined) body.seed = seed;
  if (els.klass.value !== "") body.class = els.klass.value;
  return body;
}

/** A whole number written in decimal digits only ("1e3", "0x10", "7.0" and " 7" are not), or null. */
function wholeNumber(value) {
  const text = String(value);
  return /^\d{1,16}$/.test(text) ? Number(text) : null;
}

/**
 * Puts request parameters into the form (from a link's query, or a finished job's params), checking each against
 * this server's models and the form's limits. Returns a sentence for each value that could not be used.
 */
export function applyParams(params) {
  const problems = [];
  const has = (key) => params[key] !== undefined && params[key] !== null && params[key] !== "";

  if (has("model")) {
    const model = modelById(String(params.model));
    if (model) {
      els.model.value = model.id;
      showModel(model);
    } else {
      problems.push(`There is no model “${params.model}” on this server; ${els.model.value} is selected instead.`);
    }
  }

  if (has("class")) {
    const model = modelById(els.model.value);
    const classes = ((model && model.classes) || []).map(String);
    if (classes.includes(String(params.class))) {
      els.klass.value = String(params.class);
    } else {
      els.klass.value = "";
      problems.push(classes.length
        ? `${els.model.value} has no class “${params.class}”; any class is drawn instead.`
        : `${els.model.value} draws no classes, so the class “${params.class}” was left out.`);
    }
  } else if ("class" in params) {
    els.klass.value = ""; // an explicit null: any class
  }

  if (has("seed")) {
    const seed = wholeNumber(params.seed);
    if (seed !== null && seed <= Number(els.seed.max)) {
      els.seed.value = String(seed);
    } else {
      els.seed.value = "";
      problems.push(`The seed “${params.seed}” is not a whole number from 0 to ${els.seed.max}; a random seed is used.`);
    }
  } else if ("seed" in params) {
    els.seed.value = "";
  }

  if (has("count")) {
    const count = wholeNumber(params.count);
    if (count !== null && count >= Number(els.count.min) && count <= Number(els.count.max)) {
      els.count.value = String(count);
    } else {
      problems.push(`The count “${params.count}” is not between ${els.count.min} and ${els.count.max}; ` +
        `${els.count.value} is used.`);
    }
  }

  if (has("truncation")) {
    const text = String(params.truncation).trim();
    const value = /^\d*\.?\d+$/.test(text) ? Number(text) : NaN;
    if (value >= Number(els.truncation.min) && value <= Number(els.truncation.max)) {
      // A value between the slider's steps (0.73 from the API) is kept exactly, so a re-run draws the same pixels.
      const steps = (value - Number(els.truncation.min)) / 0.05;
      els.truncation.step = Math.abs(steps - Math.round(steps)) < 1e-6 ? "0.05" : "any";
      els.truncation.value = String(value);
    } else {
      problems.push(`The truncation “${params.truncation}” is not between ${els.truncation.min} and ` +
        `${els.truncation.max}; ${Number(els.truncation.value).toFixed(2)} is used.`);
    }
  }
  showTruncation();
  setFieldError(els.seed, null);
  setFieldError(els.count, null);
  return problems;
}

/** Prefills the form from the page's query (?model=&class=&seed=&count=&truncation=), saying what was not used. */
export function prefillFromLink() {
  const query = new URLSearchParams(window.location.search);
  const params = {};
  for (const key of ["model", "class", "seed", "count", "truncation"]) {
    if (query.has(key)) params[key] = query.get(key).trim();
  }
  if (Object.keys(params).length === 0) return;
  const problems = applyParams(params);
  els.linkNoticeList.replaceChildren(...problems.map((text) => el("li", null, text)));
  els.linkNotice.hidden = problems.length === 0;
}

function randomSeed() {
  const buf = new Uint32Array(1);
  crypto.getRandomValues(buf);
  return buf[0];
}

export function showTruncation() {
  const { min, max, value } = els.truncation;
  els.truncationValue.textContent = Number(value).toFixed(2);
  const fill = ((Number(value) - Number(min)) / (Number(max) - Number(min))) * 100;
  els.truncation.style.setProperty("--fill", `${fill}%`);
}

// ---------------------------------------------------------------- wiring

/** Connects the truncation slider, the seed dice and the field checks. */
export function bindFormFields() {
  els.truncation.addEventListener("input", showTruncation);
  els.dice.addEventListener("click", () => {
    els.seed.value = String(randomSeed());
    setFieldError(els.seed, null);
    els.dice.classList.remove("is-rolling");
    void els.dice.offsetWidth; // restart the little roll animation
    els.dice.classList.add("is-rolling");
  });
  for (const input of [els.seed, els.count]) {
    input.addEventListener("input", () => setFieldError(input, null));
  }
}
