"""The job queue the web app submits to: an in-process thread pool (embedded) or Celery over Redis.

Both run worker.tasks.run_job; the app never imports torch through this module.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Protocol

from atelier.errors import QueueUnavailable
from worker.routing import QUEUES, is_long, queue_for
from worker.runtime import ModelCache
from worker.store import DiskStore

log = logging.getLogger(__name__)


class JobQueue(Protocol):
    def submit(self, job_id: str, kind: str) -> None: ...  # kind: the job's kind, which decides where it runs
    def depth(self) -> int: ...
    def ready(self) -> bool: ...
    def close(self) -> None: ...


class EmbeddedQueue:
    """Background worker threads inside the app process. Job records are on disk, so jobs left queued or
    running by a previous process are picked up again at start (`recover`). At shutdown (`close`) a running job
    is interrupted at its next progress report and put back in the queue; a training job resumes from its last
    checkpoint at the next start instead of holding the process open for hours."""

    STOP_WAIT_S = 30.0  # how long close() waits for running jobs to reach their next progress report

    def __init__(self, store: DiskStore, models: ModelCache, *, workers: int = 1) -> None:
        self.store = store
        self.models = models
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="atelier-job")
        # Long kinds (worker/routing.py) get a thread of their own, one job at a time, so that a training job never
        # keeps the quick ones (generate, repair) waiting behind it.
        self._long_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atelier-long-job")
        self._pending = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._futures: set[Future] = set()

    def submit(self, job_id: str, kind: str) -> None:
        with self._lock:
            self._pending += 1
        pool = self._long_pool if is_long(kind) else self._pool
        future = pool.submit(self._run, job_id)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._futures.discard(future)

    def _run(self, job_id: str) -> None:
        from worker.tasks import run_job  # torch is imported on the first job, not at app start-up

        try:
            run_job(job_id, store=self.store, models=self.models, interrupted=self._stopping.is_set)
        except Exception:
            log.exception("job %s: the embedded worker could not run it", job_id)
        finally:
            with self._lock:
                self._pending -= 1

    def recover(self) -> int:
        unfinished = [r for r in self.store.iter_jobs() if r.status in ("queued", "running")]
        for record in unfinished:
            self.submit(record.id, record.kind)
        if unfinished:
            log.info("re-queued %d unfinished jobs from the previous run", len(unfinished))
        return len(unfinished)

    def depth(self) -> int:
        return self._pending

    def ready(self) -> bool:
        return not self._pool._shutdown  # noqa: SLF001 — ThreadPoolExecutor has no public flag for this

    def close(self) -> None:
        self._stopping.set()
        for pool in (self._pool, self._long_pool):
            pool.shutdown(wait=False, cancel_futures=True)  # queued ones stay "queued" on disk for recover()
        with self._lock:
            running = list(self._futures)
        wait(running, timeout=self.STOP_WAIT_S)


class CeleryQueue:
    """Publishes the task by name over Redis, to the quick queue or the long one by the job's kind
    (worker/routing.py); the API process needs no task code."""

    def __init__(self, redis_url: str) -> None:
        import redis

        from worker.celery_app import TASK_NAME, app

        self._app = app
        self._task_name = TASK_NAME
        self._redis = redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=5)

    def submit(self, job_id: str, kind: str) -> None:
        try:
            self._app.send_task(self._task_name, args=[job_id], queue=queue_for(kind))
        except Exception as exc:  # kombu raises several connection error types
            log.warning("could not publish job %s: %s", job_id, exc)
            raise QueueUnavailable("The job queue is unreachable.") from exc

    def depth(self) -> int:
        """Jobs waiting in both queues (kombu keeps each queue as a Redis list named after it); running jobs' messages
        are not in the lists."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            for name in QUEUES:
                pipe.llen(name)
            return sum(int(n) for n in pipe.execute())
        except Exception as exc:
            raise QueueUnavailable("The job queue is unreachable.") from exc

    def ready(self) -> bool:
        try:
            return bool(self._redis.ping())
        except Exception:
            return False

    def close(self) -> None:
        self._redis.close()
