// The Jobs page's list: its elements, the cards on it (in list order), the kind filter, the counts and the empty
// state, and the live region that announces changes. Every other jobs module imports from here (or from the
// text-only describe.js) and nothing here imports them, so the modules form a chain without cycles.

import { $ } from "../ui.js";
import { kindOf } from "./describe.js";

export const els = {
  list: $("job-list"),
  template: $("job-template"),
  empty: $("jobs-empty"),
  emptyTitle: $("jobs-empty-title"),
  emptyText: $("jobs-empty-text"),
  emptyGenerate: $("empty-generate"),
  emptyRepair: $("empty-repair"),
  filter: $("kind-filter"),
  clearExpired: $("clear-expired"),
  announce: $("jobs-announce"),
  title: $("jobs-title"),
  confirm: $("confirm-delete"),
  confirmTitle: $("confirm-title"),
  confirmText: $("confirm-text"),
};

export const cards = new Map(); // job id -> card (see createCard in cards.js), in list order
let filter = "all"; // all | generate | repair

/** Says `text` through the page's live region (#jobs-announce). */
export function announce(text) {
  els.announce.textContent = "";
  // A fresh text node each time, so the same sentence twice is still read out.
  requestAnimationFrame(() => { els.announce.textContent = text; });
}

// ---------------------------------------------------------------- list, filter, empty states

export function visibleCards() {
  return [...cards.values()].filter((card) => !card.node.hidden);
}

export function updateSummary() {
  const counts = { all: 0, generate: 0, repair: 0 };
  let expired = 0;
  for (const card of cards.values()) {
    const kind = kindOf(card);
    counts.all += 1;
    if (kind in counts) counts[kind] += 1;
    if (card.status === "expired") expired += 1;
    card.node.hidden = !(filter === "all" || kind === filter);
  }
  for (const [kind, n] of Object.entries(counts)) $(`count-${kind}`).textContent = n ? String(n) : "";

  els.filter.hidden = counts.all === 0; // nothing to filter yet
  els.clearExpired.hidden = expired === 0;
  els.clearExpired.textContent = expired === 1 ? "Remove 1 expired" : `Remove ${expired} expired`;

  const nothing = visibleCards().length === 0;
  els.empty.hidden = !nothing;
  els.list.hidden = nothing;
  if (nothing) {
    const none = counts.all === 0 || filter === "all";
    els.emptyTitle.textContent = none ? "No jobs yet" : `No ${filter} jobs yet`;
    els.emptyText.textContent = none
      ? "The images you generate and the photos you repair in this browser will be listed here, with their results."
      : filter === "generate"
        ? "Images you generate in this browser will be listed here."
        : "Photos you repair in this browser will be listed here.";
    els.emptyGenerate.hidden = !(none || filter === "generate");
    els.emptyRepair.hidden = !(none || filter === "repair");
  }
}

export function setFilter(value, { remember = true } = {}) {
  filter = ["generate", "repair"].includes(value) ? value : "all";
  const radio = els.filter.querySelector(`input[value="${filter}"]`);
  if (radio) radio.checked = true;
  if (remember) {
    const url = new URL(window.location.href);
    if (filter === "all") url.searchParams.delete("kind");
    else url.searchParams.set("kind", filter);
    history.replaceState(null, "", url);
  }
  updateSummary();
}
