"""The task functions. Celery workers and the embedded thread pool both call `run_job` — one code path.

A task is idempotent: it re-reads the job record, returns at once if the job already finished (a redelivered
message after a crash), and writes results under the request's content address, so running it twice is harmless.
A long job (train) keeps its progress in the store as it goes, so a second run resumes rather than repeats it.

Every progress report writes the record and reads it back in one step; that is where a cancel request
(`cancel_requested`, set by the API) is noticed, and where the shutdown of the process running the job is noticed
(`interrupted`: an embedded server stopping, or a Celery worker's warm shutdown).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from atelier.errors import AtelierError
from worker.explore import run_interpolate_job, run_variations_job
from worker.generate import run_generate_job
from worker.outputs import JobCancelled, JobHandler, JobInterrupted
from worker.records import FINISHED, ImageInfo, JobError, blob_key, utcnow
from worker.restore import run_restore_job
from worker.runtime import ModelCache
from worker.store import Store, cached_result
from worker.train import run_train_job
from worker.upscale import run_upscale_job

log = logging.getLogger(__name__)

# job kind -> handler; each returns the PNGs to store and says where it ran
HANDLERS: dict[str, JobHandler] = {
    "generate": run_generate_job,
    "interpolate": run_interpolate_job,
    "variations": run_variations_job,
    "restore": run_restore_job,
    "train": run_train_job,
    "upscale": run_upscale_job,
}
# A job that takes its worker down this many times is marked failed instead of being redelivered forever.
MAX_ATTEMPTS = 3
# Progress writes are throttled: the store is shared, a job may have hundreds of steps.
PROGRESS_INTERVAL_S = 0.2


def run_job(job_id: str, *, store: Store, models: ModelCache,
            interrupted: Callable[[], bool] | None = None) -> bool:
    """interrupted: says when this process is shutting down; the job then stops at its next progress report.

    Returns True when it was interrupted: its record is `queued` again (a training job's checkpoint kept), and the
    caller must hand it back to its queue (Celery: requeue its message; embedded: recover() at the next start)."""
    record = store.get_job(job_id)
    if record is None:
        log.warning("job %s: record missing (expired?); nothing to do", job_id)
        return False
    if record.status in FINISHED:
        log.info("job %s: already %s; redelivery ignored", job_id, record.status)
        return False
    if record.attempts >= MAX_ATTEMPTS:
        store.update_job(job_id, status="failed", finished_at=utcnow(), error=JobError(
            code="worker_crashed", message=f"The worker stopped {record.attempts} times while running this job."))
        log.error("job %s: given up after %d attempts", job_id, record.attempts)
        return False

    if _answer_from_cache(store, record.id, record.cache_key):
        return False

    started = time.perf_counter()
    running = store.update_job(job_id, status="running", started_at=utcnow(), attempts=record.attempts + 1,
                               progress=0.0)
    last_write = [0.0]

    def on_progress(fraction: float, **fields: Any) -> None:
        if interrupted is not None and interrupted():
            raise JobInterrupted
        now = time.perf_counter()
        if fraction < 1.0 and now - last_write[0] < PROGRESS_INTERVAL_S:
            return
        last_write[0] = now
        if store.update_job(job_id, progress=round(min(fraction, 0.99), 4), **fields).cancel_requested:
            raise JobCancelled

    device = None
    try:
        if running.cancel_requested:  # cancelled while it was being picked up
            raise JobCancelled
        handler = HANDLERS.get(record.kind)
        if handler is None:
            raise AtelierError(f"unknown job kind {record.kind!r}", code="unknown_kind")
        out = handler(record, store=store, models=models, on_progress=on_progress)
        device = out.device
        for info, png in out.images:
            store.put_blob(blob_key(record.cache_key, info.index), png)
        store.put_blob(blob_key(record.cache_key, "grid"), out.primary)
        for name, data in out.extras.items():
            store.put_blob(blob_key(record.cache_key, name), data)
        images = [info for info, _ in out.images]
        # The cache entry is written last: whoever sees it can rely on every blob being there.
        store.put_cache(record.cache_key, {"images": [im.model_dump(by_alias=True) for im in images]})
        ms = int((time.perf_counter() - started) * 1000)
        store.update_job(job_id, status="succeeded", progress=1.0, finished_at=utcnow(), images=images,
                         device=device, duration_ms=ms, **out.fields)
        log.info("job %s kind=%s model=%s device=%s ms=%d status=succeeded", job_id, record.kind,
                 record.params.get("model") or record.params.get("task") or record.params.get("method")
                 or record.params.get("model_id"), device, ms)
    except JobCancelled:
        ms = int((time.perf_counter() - started) * 1000)
        store.update_job(job_id, status="cancelled", finished_at=utcnow(), duration_ms=ms)
        log.info("job %s kind=%s ms=%d status=cancelled", job_id, record.kind, ms)
    except JobInterrupted:
        # Not the job's fault: it is queued again, and this start does not count towards MAX_ATTEMPTS.
        store.update_job(job_id, status="queued", attempts=record.attempts)
        log.info("job %s kind=%s interrupted by shutdown; queued again", job_id, record.kind)
        return True
    except AtelierError as exc:
        _fail(store, job_id, exc.code, exc.message, started, device)
    except Exception:
        # A bug, not bad input: log the traceback for us, store a plain message for the user.
        log.exception("job %s failed unexpectedly", job_id)
        _fail(store, job_id, "internal", "The job failed unexpectedly; the error has been logged.", started, device)
    return False


def _answer_from_cache(store: Store, job_id: str, cache_key: str) -> bool:
    entry = cached_result(store, cache_key)
    if entry is None:
        return False
    store.update_job(job_id, status="succeeded", progress=1.0, cache_hit=True, started_at=utcnow(),
                     finished_at=utcnow(), images=[ImageInfo.model_validate(im) for im in entry["images"]])
    log.info("job %s answered from cache", job_id)
    return True


def _fail(store: Store, job_id: str, code: str, message: str, started: float, device: str | None) -> None:
    ms = int((time.perf_counter() - started) * 1000)
    store.update_job(job_id, status="failed", finished_at=utcnow(), error=JobError(code=code, message=message),
                     device=device, duration_ms=ms)
    log.info("job %s device=%s ms=%d status=failed code=%s", job_id, device, ms, code)
