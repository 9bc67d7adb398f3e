// The person's job history, kept in this browser's localStorage. Atelier has no accounts yet, so "my jobs" are
// the jobs this browser submitted: the list survives a reload, and the jobs themselves survive a server restart
// (they live in the server's store). An entry whose job has expired on the server stays, marked expired, until the
// person removes it: a generate job's parameters are enough to re-run it.

const KEY = "atelier.jobs.v1";
const MAX_ENTRIES = 500; // oldest entries fall off beyond this

function read() {
  try {
    const entries = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(entries) ? entries.filter((e) => e && typeof e.id === "string") : [];
  } catch {
    return []; // unreadable (edited by hand, or another version's format): start afresh rather than break the page
  }
}

function write(entries) {
  try {
    localStorage.setItem(KEY, JSON.stringify(entries.slice(0, MAX_ENTRIES)));
  } catch {
    // Storage full or disabled (private mode): the history is a convenience, the job itself still runs.
  }
}

/** Remember a submitted job: `{id, kind, params}`; `params` are what the page sent (enough to re-run it). */
export function rememberJob({ id, kind, params = {} }) {
  const entries = read().filter((e) => e.id !== id);
  entries.unshift({ id, kind, params, submitted_at: new Date().toISOString() });
  write(entries);
}

/** Forget one job (after it was deleted on the server, or expired there). */
export function forgetJob(id) {
  write(read().filter((e) => e.id !== id));
}

/** Every remembered job, newest first. */
export function listJobs() {
  return read();
}
