// The Jobs page: the jobs this browser sent (static/js/history.js), newest first, each read from the API.
//
// Unfinished jobs are polled, each on its own backing-off timer, and not at all while the tab is hidden; finished
// ones are read once. A job the server no longer has (404) is shown as expired. Server data only ever reaches the
// page through textContent and attributes, never innerHTML.
//
// This entry module only wires the page together; the work lives in static/js/jobs/:
//   list.js      elements, the cards on the list, the kind filter, counts and empty state, announcements
//   describe.js  what a card says: kind, title, parameters, state, timing, the "Re-run" link
//   images.js    a card's thumbnails and the large view they open
//   cards.js     a card's life: create, render, poll, delete; keeping the list in step with the history

import { loadAll, removeExpired, render, resumeWaiting, syncWithHistory } from "./jobs/cards.js";
import { announce, cards, els, setFilter } from "./jobs/list.js";

els.filter.addEventListener("change", (event) => setFilter(event.target.value));
els.clearExpired.addEventListener("click", () => {
  const removed = removeExpired();
  els.title.focus();
  announce(removed === 1 ? "Removed 1 expired job." : `Removed ${removed} expired jobs.`);
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) resumeWaiting();
});

// Another tab sent or deleted a job: the history in localStorage changed under us.
window.addEventListener("storage", () => loadAll(syncWithHistory()));

// Relative times ("5 minutes ago") move on while the page is open.
setInterval(() => {
  for (const card of cards.values()) render(card);
}, 60_000);

els.title.tabIndex = -1; // focus lands here when the last visible job is deleted
setFilter(new URLSearchParams(window.location.search).get("kind"), { remember: false });
loadAll(syncWithHistory());
