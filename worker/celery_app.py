"""The Celery application for distributed mode: `celery -A worker.celery_app worker` (or `atelier worker`).

Choices, each for a reason:
- JSON only, in and out: a broker message can never make a worker unpickle attacker-controlled bytes.
- acks_late + reject_on_worker_lost + prefetch 1: a message is acknowledged only after its job finished, so a
  worker that dies mid-job leaves it to be redelivered (at once if a pool child dies; after the visibility
  timeout if the whole worker vanished), and a worker never hoards jobs it is not running yet.
- ignore_result: job state lives in our own job records (worker.store), which expire after result_ttl_seconds.
- A running task keeps its message invisible (`_Heartbeat`): with Redis, kombu redelivers any message that stayed
  unacknowledged for visibility_timeout seconds, whether or not its worker is still working on it. A training job
  runs for hours, so while a task runs a thread refreshes its delivery time in kombu's `unacked_index` every quarter
  of the timeout. A worker that dies stops refreshing, and its job is redelivered one timeout later (and resumes
  from its checkpoint). This relies on kombu's Redis transport keeping unacknowledged deliveries in the sorted set
  `unacked_index`, scored by delivery time, and on the message's delivery tag in the task request's properties
  (kombu 5.x); tests/integration/test_train_distributed.py pins it with a job that outlives the timeout.
- Two queues (worker/routing.py): training jobs go to `atelier-train`, every other job to `atelier`, so a worker busy
  training for hours never holds up a generate job. `atelier worker --queues` picks which a worker consumes.
- A warm shutdown (SIGTERM) hands the running job back instead of waiting for it (`_stopping`, `run_job_task`):
  Celery would wait for a training job for hours, the orchestrator would kill the worker after its grace period, and
  the job would only come back after the visibility timeout. tests/integration/test_worker_shutdown.py pins it.
"""

from __future__ import annotations

import logging
import mmap
import threading
import time

import redis
from celery import Celery, signals
from celery.exceptions import Reject
from kombu import Exchange, Queue

from atelier.settings import get_settings
from worker.routing import QUEUES, QUICK_QUEUE
from worker.runtime import ModelCache
from worker.store import Store, open_store

log = logging.getLogger(__name__)

TASK_NAME = "atelier.run_job"
# The reason a job's message is requeued at a warm shutdown (run_job_task); its log line is kept at INFO.
HANDED_BACK = "handed back: the worker is shutting down"


def make_celery() -> Celery:
    settings = get_settings()
    app = Celery("atelier", broker=settings.redis_url or "redis://127.0.0.1:6379/0")
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_expires=settings.result_ttl_seconds,
        # Declared, so that a plain `celery -A worker.celery_app worker` consumes both; each exactly as Celery would
        # create it from its name (a direct exchange of that name), as queues were before there were two.
        task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
        task_default_queue=QUICK_QUEUE,
        # Pool children are forked, so they share `_stopping` with the main process (Celery's default, made explicit).
        worker_pool_start_method="fork",
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_seconds,
            # Sweep for messages of vanished workers often enough that redelivery follows the visibility timeout
            # (kombu's default sweeps only every 10 s x 10 calls); one sorted-set query per sweep is cheap.
            "unacked_restore_interval": max(1, min(60, settings.visibility_timeout_seconds // 4)),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        # Fail fast when Redis is down so the API can answer 503 instead of hanging a request.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2,
                                   "interval_max": 0.5},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


app = make_celery()

# Per worker process, created on first use (never before the prefork pool forks).
_store: Store | None = None
_models: ModelCache | None = None


def _runtime() -> tuple[Store, ModelCache]:
    global _store, _models
    if _store is None or _models is None:
        from worker.user_models import open_registry, open_user_models, refresh

        settings = get_settings()
        _store = open_store(redis_url=settings.redis_url, data_dir=settings.data_dir,
                            ttl_seconds=settings.result_ttl_seconds)
        space = open_user_models(settings)
        registry = open_registry(settings, space)
        _models = ModelCache(registry, device=settings.device, refresh=lambda: refresh(registry, space),
                             user_models=space)
    return _store, _models


class _Heartbeat:
    """While a task runs, keeps its message's delivery time fresh in kombu's `unacked_index` (see above)."""

    INDEX = "unacked_index"  # kombu.transport.redis.Channel.unacked_index_key

    def __init__(self, redis_url: str, delivery_tag: str, visibility_timeout: int) -> None:
        self._redis = redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=5)
        self._tag = delivery_tag
        self._every = max(0.5, visibility_timeout / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="atelier-heartbeat", daemon=True)

    def __enter__(self) -> "_Heartbeat":
        self._touch()  # at once: the message may have waited in a prefetch before this task started
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._redis.close()

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            self._touch()

    def _touch(self) -> None:
        try:
            # xx: only while the delivery is still unacknowledged; never re-add one that was acked or restored
            self._redis.zadd(self.INDEX, {self._tag: time.time()}, xx=True)
        except redis.RedisError as exc:
            log.warning("heartbeat for delivery %s failed: %s", self._tag, exc)


class _ShutdownFlag:
    """Set by the worker's main process when it starts to shut down; read by the running job at every progress report.

    With the prefork pool (`atelier worker`'s default) the job runs in a pool child, and on a warm shutdown Celery
    tells the children nothing: it closes the pool and waits for their tasks to return. So the flag is one byte of
    shared anonymous memory (mmap is MAP_SHARED), made at import, before the pool forks: children read the very byte
    the main process writes, without a lock (the writer is a signal handler) or a round trip to Redis. With the solo
    and threads pools the job runs in the main process itself and reads the same byte."""

    def __init__(self) -> None:
        self._byte = mmap.mmap(-1, 1)

    def set(self) -> None:
        self._byte[0] = 1

    def is_set(self) -> bool:
        return self._byte[0] == 1


_stopping = _ShutdownFlag()


@signals.worker_shutting_down.connect
def _on_worker_shutting_down(**_: object) -> None:
    # Sent from the main process's handler of SIGTERM / SIGINT / SIGQUIT, before Celery stops consuming. Every kind of
    # job is handed back, not only training: a quick job usually ends within seconds, but one that outlasts the
    # orchestrator's grace period would be killed and come back only after the visibility timeout (an hour by
    # default); handed back, it is lost seconds of work at most, and it runs again as soon as any worker is free.
    # The same rule as the embedded mode's close().
    _stopping.set()


@app.task(name=TASK_NAME, bind=True)
def run_job_task(self, job_id: str) -> None:  # noqa: ANN001 — Celery's bound task
    """Thin wrapper: the work is worker.tasks.run_job, the same function the embedded mode runs."""
    settings = get_settings()
    tag = (self.request.properties or {}).get("delivery_tag")
    if not tag or not settings.redis_url:
        log.warning("job %s: no delivery tag; a job longer than the visibility timeout may be redelivered", job_id)
        interrupted = _run(job_id)
    else:
        # First thing, before the first job's slow imports (torch): the clock started when the message was delivered.
        with _Heartbeat(settings.redis_url, tag, settings.visibility_timeout_seconds):
            interrupted = _run(job_id)
    if interrupted:
        # The worker is shutting down and the job stopped at a progress report; its record is "queued" again. Its
        # message goes back to its queue now, not after the visibility timeout. With acks_late it is still
        # unacknowledged, and kombu's reject(requeue=True) moves it from the unacknowledged set to the back of its
        # queue in one Redis transaction: never lost (if this process dies first, the message is still unacked and
        # comes back after the timeout), never in the queue twice, and queued only after this run has stopped, so no
        # two workers run it at once. This worker takes nothing more: it has stopped consuming.
        raise Reject(f"job {job_id} {HANDED_BACK}", requeue=True)


class _HandedBackIsNotAnError(logging.Filter):
    """Celery logs every Reject as a WARNING with the traceback of the raise; a job handed back at a warm shutdown is
    the planned path of every deploy, so its line is kept (the job id, `reject requeue=True`) at INFO, without the
    traceback that would make an operator look for a bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, Reject) and exc.requeue and HANDED_BACK in str(exc.reason):
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


logging.getLogger("celery.app.trace").addFilter(_HandedBackIsNotAnError())


def _run(job_id: str) -> bool:
    from worker.tasks import run_job

    store, models = _runtime()
    return run_job(job_id, store=store, models=models, interrupted=_stopping.is_set)


@signals.worker_process_init.connect
def _reset_after_fork(**_: object) -> None:
    # A forked child must not reuse the parent's Redis sockets; nothing slow happens here.
    global _store, _models
    _store, _models = None, None
