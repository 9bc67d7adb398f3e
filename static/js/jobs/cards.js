// A Jobs page card's life: made from a history entry, rendered from its job, kept current (unfinished jobs are
// polled, each on its own backing-off timer, and not at all while the tab is hidden), deleted or removed, and the
// list kept in step with the history (another tab may add or forget jobs). What a card says comes from
// describe.js and its images from images.js; this module owns the card's state and its element.

import { ApiError, api, jobUrl } from "../api.js";
import { forgetJob, listJobs } from "../history.js";
import { el, withDownload } from "../ui.js";
import { KIND_LABEL, absoluteTime, ago, durationText, jobKindOf, kindOf, paramItems, rerunHref, stateText, titleOf }
  from "./describe.js";
import { openCard, renderThumbs } from "./images.js";
import { announce, cards, els, updateSummary, visibleCards } from "./list.js";

const POLL_FIRST_MS = 1000; // first re-check of an unfinished job
const POLL_MAX_MS = 8000; // re-checks back off to at most this interval
const POLL_BACKOFF = 1.5; // interval multiplier after each check that saw no change
const LOAD_CONCURRENCY = 4; // jobs read at once when the page opens (a history may hold hundreds)
const UNFINISHED = new Set(["loading", "queued", "running", "unreachable"]);

// ---------------------------------------------------------------- rendering a card

export function render(card) {
  const { node, parts } = card;
  const status = card.status;
  const kind = kindOf(card);
  node.dataset.status = status;
  node.dataset.kind = kind;

  parts.kind.textContent = KIND_LABEL[jobKindOf(card)] || KIND_LABEL[kind] || "Job";
  parts.title.textContent = titleOf(card);
  parts.stateText.textContent = stateText(card);

  parts.params.replaceChildren(...paramItems(card).map(([label, value]) => {
    const item = el("div", "job__param");
    item.append(el("dt", null, label), el("dd", null, value));
    return item;
  }));

  const created = new Date((card.job && card.job.created_at) || card.entry.submitted_at);
  if (Number.isFinite(created.getTime())) {
    parts.time.dateTime = created.toISOString();
    parts.time.textContent = `${absoluteTime.format(created)} · ${ago(created)}`;
    parts.time.title = created.toString();
  }
  parts.duration.textContent = durationText(card);
  parts.duration.hidden = !parts.duration.textContent;

  const busy = status === "queued" || status === "running";
  parts.progress.hidden = !busy;
  if (busy) {
    const pct = status === "running" ? Math.round((card.job.progress || 0) * 100) : 0;
    parts.progress.dataset.indeterminate = String(pct === 0);
    parts.progress.setAttribute("aria-valuenow", String(pct));
    parts.progress.setAttribute("aria-label", `${titleOf(card)}: ${stateText(card)}`);
    parts.progressBar.style.width = `${pct}%`;
  }

  if (status === "failed") {
    const err = card.job.error || {};
    showMessage(card, "error", err.message || "The worker could not finish this job.");
  } else if (status === "cancelled") {
    showMessage(card, "muted", "Cancelled before it finished; it has no result.");
  } else if (status === "expired") {
    showMessage(card, "muted", "The server no longer has this job: it expired or was deleted. Its parameters are " +
      "still here" + (kind === "generate" ? ", so it can be run again." : "."));
  } else if (status === "unreachable") {
    showMessage(card, "warn", `${card.error ? card.error.message : "The server could not be reached."} ` +
      "Trying again…");
  } else {
    showMessage(card, "", "");
  }

  renderThumbs(card);
  const done = status === "succeeded";
  parts.open.hidden = !done;
  parts.thumbs.disabled = !done;
  parts.download.hidden = !done;
  if (done) {
    const single = kind === "repair" || (card.job.images || []).length === 1;
    const url = single ? card.job.results[0] : card.job.grid_url;
    parts.download.href = withDownload(url);
    parts.downloadLabel.textContent = single ? "Download PNG" : "Download grid";
  }

  const href = status === "expired" && kind === "repair" ? null : rerunHref(card);
  parts.rerun.hidden = !href || status === "loading" || status === "unreachable" || kind === "other";
  if (href) parts.rerun.href = href;

  const expired = status === "expired";
  parts.delLabel.textContent = expired ? "Remove" : "Delete";
  parts.del.title = expired ? "Remove it from this list" : busy ? "A job can be deleted once it has finished" : "";
  parts.del.setAttribute("aria-disabled", String(busy || status === "loading" || status === "unreachable"));
  parts.del.setAttribute("aria-label", `${expired ? "Remove" : "Delete"} ${titleOf(card)} job`);
  parts.open.setAttribute("aria-label", `Open ${titleOf(card)} large`);
}

function createCard(entry) {
  const node = els.template.content.firstElementChild.cloneNode(true);
  const q = (selector) => node.querySelector(selector);
  const parts = {
    thumbs: q(".job__thumbs"),
    kind: q(".job__kind"),
    title: q(".job__title"),
    stateText: q(".job__state-text"),
    params: q(".job__params"),
    time: q(".job__time"),
    duration: q(".job__duration"),
    progress: q(".job__progress"),
    progressBar: q(".job__progress .progress__bar"),
    message: q(".job__message"),
    open: q(".job__open"),
    download: q(".job__download"),
    downloadLabel: q(".job__download-label"),
    rerun: q(".job__rerun"),
    del: q(".job__delete"),
    delLabel: q(".job__delete-label"),
  };
  node.dataset.id = entry.id;
  const titleId = `job-title-${entry.id}`;
  parts.title.id = titleId;
  q(".job__card").setAttribute("aria-labelledby", titleId);
  const card = { entry, job: null, status: "loading", error: null, node, parts, timer: 0, delay: POLL_FIRST_MS,
    waiting: false, thumbsKey: "" };

  parts.open.addEventListener("click", () => openCard(card, parts.open));
  parts.thumbs.addEventListener("click", (event) => {
    // A click on one thumbnail opens the large view on that image (Before, After; or image i, "+N" the next).
    const index = [...parts.thumbs.children].indexOf(event.target.closest(".job__thumb"));
    openCard(card, parts.open, index >= 0 ? index : null);
  });
  parts.del.addEventListener("click", () => onDelete(card));
  render(card);
  return card;
}

function showMessage(card, tone, text) {
  card.parts.message.textContent = text;
  card.parts.message.dataset.tone = tone;
  card.parts.message.hidden = !text;
}

// ---------------------------------------------------------------- deleting

function confirmDelete(card) {
  els.confirmTitle.textContent = `Delete “${titleOf(card)}”?`;
  return new Promise((resolve) => {
    els.confirm.returnValue = "";
    els.confirm.addEventListener("close", () => resolve(els.confirm.returnValue === "delete"), { once: true });
    els.confirm.showModal();
  });
}

async function onDelete(card) {
  const button = card.parts.del;
  if (button.getAttribute("aria-disabled") === "true") return;
  if (card.status === "expired") {
    removeCard(card, "Removed from the list.");
    return;
  }
  if (!(await confirmDelete(card))) return;
  try {
    await api(jobUrl(card.entry.id), { method: "DELETE" });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) { // 404: already gone, which is what was asked
      showMessage(card, "error", `Not deleted: ${err.message}`);
      if (err.status === 409) load(card); // it started after all; show that
      return;
    }
  }
  removeCard(card, "Job deleted.");
}

function removeCard(card, message) {
  const id = card.entry.id;
  const visible = visibleCards();
  const at = visible.indexOf(card);
  clearTimeout(card.timer);
  cards.delete(id);
  forgetJob(id);
  card.node.remove();
  updateSummary();
  announce(message);
  // Focus moves to the neighbouring job (or the page title), never to the top of the document.
  const next = visible[at + 1] || visible[at - 1];
  const target = next ? next.node.querySelector(".job__actions :is(a, button):not([hidden])") : els.title;
  if (target) target.focus();
}

// ---------------------------------------------------------------- loading and polling

async function load(card) {
  const id = card.entry.id;
  const before = card.status;
  try {
    const job = await api(jobUrl(id));
    card.job = job;
    card.status = job.status;
    card.error = null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      card.job = null;
      card.status = "expired";
    } else {
      card.error = err;
      card.status = "unreachable";
    }
  }
  if (!cards.has(id)) return; // deleted while the request was out
  if (card.status !== before) card.delay = POLL_FIRST_MS; // something happened: look again soon
  render(card);
  updateSummary();
  if (UNFINISHED.has(card.status)) schedule(card);
}

function schedule(card) {
  clearTimeout(card.timer);
  card.timer = setTimeout(() => {
    if (!cards.has(card.entry.id)) return;
    if (document.hidden) {
      card.waiting = true; // picked up again when the tab is shown
      return;
    }
    load(card);
  }, card.delay);
  card.delay = Math.min(POLL_MAX_MS, card.delay * POLL_BACKOFF);
}

export async function loadAll(list) {
  const queue = [...list];
  const worker = async () => {
    while (queue.length) await load(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, queue.length) }, worker));
}

// ---------------------------------------------------------------- the list and the history

/** Adds cards for remembered jobs not yet on the page (e.g. sent from another tab), drops forgotten ones. */
export function syncWithHistory() {
  const entries = listJobs();
  const ids = new Set(entries.map((e) => e.id));
  for (const card of [...cards.values()]) {
    if (!ids.has(card.entry.id)) {
      clearTimeout(card.timer);
      cards.delete(card.entry.id);
      card.node.remove();
    }
  }
  const added = [];
  let previous = null;
  for (const entry of entries) {
    let card = cards.get(entry.id);
    if (!card) {
      card = createCard(entry);
      cards.set(entry.id, card);
      added.push(card);
      if (previous) previous.node.after(card.node);
      else els.list.prepend(card.node);
    }
    previous = card;
  }
  // Keep the map in list order (newest first), which is the order the list shows.
  const ordered = entries.map((e) => [e.id, cards.get(e.id)]);
  cards.clear();
  for (const [id, card] of ordered) cards.set(id, card);
  updateSummary();
  return added;
}

/** Takes every expired job off the list and out of the history ("Remove N expired"); returns how many. */
export function removeExpired() {
  const expired = [...cards.values()].filter((card) => card.status === "expired");
  for (const card of expired) {
    cards.delete(card.entry.id);
    forgetJob(card.entry.id);
    card.node.remove();
  }
  updateSummary();
  return expired.length;
}

/** Re-checks, from the first interval again, the jobs whose re-check fell due while the tab was hidden. */
export function resumeWaiting() {
  for (const card of cards.values()) {
    if (card.waiting) {
      card.waiting = false;
      card.delay = POLL_FIRST_MS;
      load(card);
    }
  }
}
