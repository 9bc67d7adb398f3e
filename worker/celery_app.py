"""The Celery application for distributed mode: `celery -A worker.celery_app worker` (or `atelier worker`).

Choices, each for a reason:
- JSON only, in and out: a broker message can never make a worker unpickle attacker-controlled bytes.
- acks_late + reject_on_worker_lost + prefetch 1: a message is acknowledged only after its job finished, so a
  worker that dies mid-job leaves it to be redelivered (at once if a pool child dies; after the visibility
  timeout if the whole worker vanished), and a worker never hoards jobs it is not running yet.
- ignore_result: job state lives in our own job records (worker.store), which expire after result_ttl_seconds.
"""

from __future__ import annotations

from celery import Celery, signals

from atelier.settings import get_settings
from worker.runtime import ModelCache
from worker.store import Store, open_store

TASK_NAME = "atelier.run_job"
QUEUE_NAME = "atelier"


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
        task_default_queue=QUEUE_NAME,
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
        from models.registry import Registry

        settings = get_settings()
        _store = open_store(redis_url=settings.redis_url, data_dir=settings.data_dir,
                            ttl_seconds=settings.result_ttl_seconds)
        _models = ModelCache(Registry(settings.model_dirs), device=settings.device)
    return _store, _models


@app.task(name=TASK_NAME)
def run_job_task(job_id: str) -> None:
    """Thin wrapper: the work is worker.tasks.run_job, the same function the embedded mode runs."""
    from worker.tasks import run_job

    store, models = _runtime()
    run_job(job_id, store=store, models=models)


@signals.worker_process_init.connect
def _reset_after_fork(**_: object) -> None:
    # A forked child must not reuse the parent's Redis sockets; nothing slow happens here.
    global _store, _models
    _store, _models = None, None
