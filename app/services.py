"""What the API does with a request, kept apart from HTTP: validate against the registry, answer from the
result cache, record the job, enqueue it."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from app.schemas import GenerateRequest, ImageView, JobView
from atelier.errors import BadInput, NotReady, QueueUnavailable, UnknownClass, UnknownJob, UnknownModel
from atelier.settings import Settings
from models.seeding import MAX_SEED
from models.registry import Registry
from worker.queue import CeleryQueue, EmbeddedQueue, JobQueue
from worker.records import ImageInfo, JobRecord, blob_key, cache_key_for, new_job_id, utcnow
from worker.runtime import ModelCache
from worker.store import DiskStore, Store, cached_result, open_store

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    registry: Registry
    store: Store
    queue: JobQueue

    @classmethod
    def start(cls, settings: Settings) -> "Services":
        registry = Registry(settings.model_dirs)
        store = open_store(redis_url=settings.redis_url, data_dir=Path(settings.data_dir),
                           ttl_seconds=settings.result_ttl_seconds)
        queue: JobQueue
        if settings.redis_url:
            queue = CeleryQueue(settings.redis_url)
        else:
            assert isinstance(store, DiskStore)
            store.purge_expired()
            embedded = EmbeddedQueue(store, ModelCache(registry, device=settings.device),
                                     workers=settings.embedded_workers)
            embedded.recover()
            queue = embedded
        return cls(settings=settings, registry=registry, store=store, queue=queue)

    def close(self) -> None:
        self.queue.close()


def submit_generate(services: Services, request: GenerateRequest) -> JobRecord:
    settings = services.settings
    info = services.registry.get(request.model)
    if info is None or info.kind != "generator":
        known = [m.id for m in services.registry.all() if m.kind == "generator"]
        raise UnknownModel(f"Unknown model {request.model!r}. Available generators: {', '.join(known) or 'none'}.")
    if request.count > settings.max_count:
        raise BadInput(f"count must be between 1 and {settings.max_count}; got {request.count}.")
    if request.class_name is not None and request.class_name not in info.classes:
        if not info.classes:
            raise UnknownClass(f"Model {info.id!r} is unconditional; leave out 'class'.")
        raise UnknownClass(f"Model {info.id!r} has no class {request.class_name!r}; "
                           f"choose one of {', '.join(info.classes)}.")
    params = {
        "model": info.id,
        "seed": request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1),
        "count": request.count,
        "class": request.class_name,
        "truncation": request.truncation,
    }
    record = JobRecord(id=new_job_id(), kind="generate", created_at=utcnow(), params=params,
                       cache_key=cache_key_for("generate", info.id, info.version, params))
    return _enqueue_or_answer_from_cache(services, record)


def _enqueue_or_answer_from_cache(services: Services, record: JobRecord) -> JobRecord:
    entry = cached_result(services.store, record.cache_key)
    if entry is not None:
        now = utcnow()
        record = record.model_copy(update={
            "status": "succeeded", "progress": 1.0, "cache_hit": True, "started_at": now, "finished_at": now,
            "images": [ImageInfo.model_validate(im) for im in entry["images"]]})
        services.store.create_job(record)
        log.info("job %s kind=%s answered from cache", record.id, record.kind)
        return record
    if services.queue.depth() >= services.settings.max_queued_jobs:
        raise QueueUnavailable("Too many jobs are waiting; try again shortly.")
    services.store.create_job(record)
    try:
        services.queue.submit(record.id)
    except QueueUnavailable:
        # Nothing is lost silently: the record says why it never ran.
        services.store.update_job(record.id, status="failed", finished_at=utcnow(),
                                  error={"code": "queue_unavailable", "message": "The job queue was unreachable."})
        raise
    return record


def get_job(services: Services, job_id: str) -> JobRecord:
    record = services.store.get_job(job_id) if _looks_like_id(job_id) else None
    if record is None:
        raise UnknownJob(f"No job with id {job_id!r} (it may have expired).")
    return record


def _looks_like_id(job_id: str) -> bool:
    return len(job_id) == 32 and all(c in "0123456789abcdef" for c in job_id)


def job_view(record: JobRecord, base: str = "/api/v1/jobs") -> JobView:
    done = record.status == "succeeded"
    images = [ImageView(index=im.index, seed=im.seed, class_name=im.class_name,
                        url=f"{base}/{record.id}/result/{im.index}") for im in record.images] if done else []
    return JobView(
        id=record.id, kind=record.kind, status=record.status, progress=record.progress,
        created_at=record.created_at, started_at=record.started_at, finished_at=record.finished_at,
        params=record.params, cache_hit=record.cache_hit, results=[im.url for im in images],
        grid_url=f"{base}/{record.id}/result" if done else None, images=images,
        error=record.error.model_dump() if record.error else None,
        device=record.device, duration_ms=record.duration_ms,
    )


def result_png(services: Services, job_id: str, index: int | None) -> tuple[bytes, str]:
    """PNG bytes and a download file name for the grid (index None) or one image."""
    record = get_job(services, job_id)
    if record.status == "failed":
        raise NotReady(f"Job {job_id} failed: {record.error.message if record.error else 'unknown error'}")
    if record.status != "succeeded":
        raise NotReady(f"Job {job_id} is {record.status}; its result is not ready yet.")
    model = record.params.get("model", "atelier")
    if index is None:
        name, filename = "grid", f"{model}-s{record.params.get('seed')}-grid.png"
    else:
        if not 0 <= index < len(record.images):
            raise UnknownJob(f"Job {job_id} has {len(record.images)} images; there is no image {index}.")
        name, filename = str(index), f"{model}-s{record.images[index].seed}-{index:03d}.png"
    data = services.store.get_blob(blob_key(record.cache_key, name))
    if data is None:
        raise UnknownJob(f"The results of job {job_id} have expired.")
    return data, filename
