// A small client for Atelier's REST API v1: JSON calls that turn every failure into an ApiError carrying the
// API's own message, and a bounded poll loop for jobs. Shared by the studio's pages; no dependencies.

export const API = "/api/v1";

/** A job's status URL (GET for its record, DELETE to delete it; /input/… and /cancel below it). */
export const jobUrl = (id) => `${API}/jobs/${encodeURIComponent(id)}`;
const REQUEST_TIMEOUT_MS = 30_000; // one call that takes longer than this counts as the server not answering
const POLL_FIRST_MS = 250; // first status check after submitting
const POLL_MAX_MS = 2000; // polling backs off to at most this interval
const POLL_BACKOFF = 1.5; // interval multiplier after each check
const POLL_GIVE_UP_MS = 3 * 60 * 1000; // stop polling after this long and say so
const NETWORK_RETRIES = 4; // consecutive failed status checks tolerated before giving up

/** A failure to show a person: a short `title`, a `message` (the API's own when it sent one), the HTTP status
 * (0 when nothing came back), the API's error `code` ("network" and "timeout" are this client's own) and, for
 * 503, the server's Retry-After in seconds. */
export class ApiError extends Error {
  constructor(title, message, { status = 0, code = null, retryAfter = null } = {}) {
    super(message);
    this.title = title;
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const NETWORK_DOWN = "Atelier's server could not be reached. Check that it is running and your connection, then try again.";

/** fetch with this client's timeout (`timeoutMs` in the options, for the few calls that may take longer); no reply
 * at all (network down, too slow) becomes an ApiError with code "network". */
async function send(path, { timeoutMs = REQUEST_TIMEOUT_MS, ...options } = {}) {
  try {
    return await fetch(path, { ...options, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    if (err && err.name === "TimeoutError") {
      const secs = timeoutMs / 1000;
      throw new ApiError("The server is not answering", `No reply within ${secs} s. Try again in a moment.`, {
        code: "network",
      });
    }
    throw new ApiError("Can't reach the server", NETWORK_DOWN, { code: "network" });
  }
}

/** A reply's JSON body, or null when it has none or it is not JSON. */
async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** What a reply says about its failure: the API's own message (null when it sent none) and the ApiError options
 * (HTTP status, the API's error code, Retry-After in seconds). `data` is its JSON body, or null. */
function failure(response, data) {
  const err = data && typeof data === "object" ? data.error : null;
  const message = err && typeof err.message === "string" && err.message ? err.message : null;
  const code = err && typeof err.code === "string" ? err.code : null;
  const retryAfter = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  const opts = { status: response.status, code, retryAfter: Number.isFinite(retryAfter) ? retryAfter : null };
  return { message, opts };
}

/** fetch + JSON (null for 204 No Content), turning every failure into an ApiError that carries the API's own message
 * when it sent one. */
export async function api(path, options = {}) {
  const response = await send(path, {
    ...options,
    headers: { Accept: "application/json", ...(options.headers || {}) },
  });
  if (response.status === 204) return null; // No Content (a DELETE): success without a body
  const data = await readJson(response);
  if (response.ok && data !== null) return data;

  const { message, opts } = failure(response, data);
  if (response.ok) throw new ApiError("Unexpected reply", "The server sent a reply this page could not read.", opts);
  throw errorFor(response.status, message, opts);
}

/** The ApiError for a failed reply with this status and the API's own message (null when it sent none). */
function errorFor(status, message, opts) {
  switch (status) {
    case 422:
      return new ApiError("Check the request", message || "The server did not accept these settings.", opts);
    case 404:
      return new ApiError("Not found", message || "The server does not know this model or job.", opts);
    case 413:
      return new ApiError("Too large", message || "The request is larger than the server allows.", opts);
    case 415:
      return new ApiError("Not a file this accepts", message || "The server does not take this kind of file.", opts);
    case 503: {
      const wait = opts.retryAfter ? ` Try again in ${opts.retryAfter} s.` : " Try again in a moment.";
      return new ApiError("The job queue is unavailable", (message || "The server cannot take jobs right now.") + wait, opts);
    }
    default:
      return new ApiError(
        `Server error (HTTP ${status})`,
        message || "Something went wrong on the server. Try again; if it keeps happening, check the server log.",
        opts,
      );
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls a job until it succeeds or fails (a cancelled job throws an ApiError), checking after 250 ms and backing
 * off to every 2 s, and gives up after a few minutes. `onUpdate(job)` sees each unfinished status; `onRetry()` is
 * told when a check failed on the network and will be tried again; `cancelled()` returning true stops the loop (the
 * result is then null).
 */
export async function pollJob(statusUrl, { onUpdate = () => {}, onRetry = () => {}, cancelled = () => false } = {}) {
  const started = performance.now();
  let delay = POLL_FIRST_MS;
  let failures = 0;
  for (;;) {
    await sleep(delay);
    if (cancelled()) return null;
    let job;
    try {
      job = await api(statusUrl);
      failures = 0;
    } catch (err) {
      // A dropped connection may be brief; give it a few tries before telling the person.
      if (err.code === "network" && ++failures <= NETWORK_RETRIES) {
        onRetry();
        delay = POLL_MAX_MS;
        continue;
      }
      throw err;
    }
    if (cancelled()) return null;
    if (job.status === "succeeded" || job.status === "failed") return job;
    // Cancelled (POST /jobs/{id}/cancel, e.g. from another tab): no result, which callers handle as an error.
    if (job.status === "cancelled") {
      throw new ApiError("Cancelled", "The job was cancelled before it finished.", { code: "cancelled" });
    }
    onUpdate(job);
    if (performance.now() - started > POLL_GIVE_UP_MS) {
      const minutes = Math.round(POLL_GIVE_UP_MS / 60000);
      throw new ApiError(
        "Still not finished",
        `The job has not finished after ${minutes} minutes, so this page stopped waiting. It may still complete; ` +
          `its status is at ${statusUrl}.`,
        { code: "timeout" },
      );
    }
    delay = Math.min(POLL_MAX_MS, delay * POLL_BACKOFF);
  }
}

/** A file (a job's uploaded input, a result PNG, a photo's preview) as a Blob: a GET, or whatever `options` ask
 * for (method, body, timeoutMs); failures become ApiErrors as with api(). */
export async function apiBlob(path, options = {}) {
  const response = await send(path, options);
  if (response.ok) return response.blob();
  const { message, opts } = failure(response, await readJson(response));
  if (response.status === 404) throw new ApiError("Not found", message || "The server no longer has this file.", opts);
  if (response.status >= 500) {
    throw new ApiError(`Server error (HTTP ${response.status})`, message || "The file could not be fetched.", opts);
  }
  throw errorFor(response.status, message, opts);
}
