"""What the API does with a request, kept apart from HTTP: validate against the registry, answer from the
result cache, record the job, enqueue it."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.schemas import GenerateRequest, ImageView, JobView, TrainView
from atelier.errors import (BadInput, NotFound, NotReady, QueueUnavailable, UnknownClass, UnknownJob,
                            UnknownModel)
from atelier.settings import Settings
from models.seeding import MAX_SEED
from models.registry import ModelInfo, Registry
from worker.queue import CeleryQueue, EmbeddedQueue, JobQueue
from worker.records import (FINISHED, ImageInfo, JobError, JobRecord, blob_key, cache_key_for, new_job_id,
                            utcnow)
from worker.runtime import ModelCache
from worker.photo_io import decode_mask, preview_png, probe_photo
from worker.restore import TASK_MODELS, input_key
from worker.store import DiskStore, RedisStore, Store, cached_result
from worker.user_models import UserModelSpace, delete_user_model, open_registry, open_user_models, refresh

log = logging.getLogger(__name__)

# Previews decode in the web process, ~1 GB at the pixel limit; more requests than this wait for a slot.
PREVIEW_SLOTS = threading.BoundedSemaphore(2)


@dataclass
class Services:
    settings: Settings
    registry: Registry
    store: Store
    queue: JobQueue
    user_models: UserModelSpace | None = None  # where train jobs publish (worker/user_models.py)

    @classmethod
    def start(cls, settings: Settings) -> "Services":
        user_models = open_user_models(settings)
        registry = open_registry(settings, user_models)
        store: Store
        queue: JobQueue
        if settings.redis_url:
            store = RedisStore(settings.redis_url, ttl_seconds=settings.result_ttl_seconds)
            queue = CeleryQueue(settings.redis_url)
        else:
            disk = DiskStore(Path(settings.data_dir), ttl_seconds=settings.result_ttl_seconds)
            disk.purge_expired()
            models = ModelCache(registry, device=settings.device, refresh=lambda: refresh(registry, user_models),
                                user_models=user_models)
            embedded = EmbeddedQueue(disk, models, workers=settings.embedded_workers)
            embedded.recover()
            store, queue = disk, embedded
        return cls(settings=settings, registry=registry, store=store, queue=queue, user_models=user_models)

    def refresh_models(self) -> Registry:
        """The registry, re-read first if a model was trained and published since the last look (cheap otherwise:
        one directory stat, or one Redis GET)."""
        refresh(self.registry, self.user_models)
        return self.registry

    def close(self) -> None:
        self.queue.close()


def generator_info(services: Services, model_id: str) -> ModelInfo:
    info = services.refresh_models().get(model_id)  # refreshed first: a user model may have been deleted meanwhile
    if info is None or info.kind != "generator":
        known = [m.id for m in services.registry.all() if m.kind == "generator"]
        raise UnknownModel(f"Unknown model {model_id!r}. Available generators: {', '.join(known) or 'none'}.")
    return info


def check_class(info: ModelInfo, class_name: str | None) -> None:
    if class_name is not None and class_name not in info.classes:
        if not info.classes:
            raise UnknownClass(f"Model {info.id!r} is unconditional; leave out 'class'.")
        raise UnknownClass(f"Model {info.id!r} has no class {class_name!r}; "
                           f"choose one of {', '.join(info.classes)}.")


def submit_generate(services: Services, request: GenerateRequest) -> JobRecord:
    settings = services.settings
    info = generator_info(services, request.model)
    if request.count > settings.max_count:
        raise BadInput(f"count must be between 1 and {settings.max_count}; got {request.count}.")
    check_class(info, request.class_name)
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


def submit_restore(services: Services, *, task: str, image: bytes, mask: bytes | None,
                   sigma: float | None, quality: str = "standard") -> JobRecord:
    """Validate the upload completely before a job exists, keep it by content hash, enqueue the repair."""
    registry = services.registry
    missing = [m for m in TASK_MODELS[task] if m not in registry]
    if missing:
        raise UnknownModel(f"The {task} task needs the model(s) {', '.join(missing)}, which are not installed here.")
    limit = services.settings.max_pixels
    size = probe_photo(image, max_pixels=limit)
    if task == "denoise" and mask is not None:
        raise BadInput("Denoising works on the whole photo and takes no mask; leave the mask out.")
    if mask is not None:
        if not decode_mask(mask, size=size, max_pixels=limit).any():
            raise BadInput("The mask is empty: paint the areas to fill in white (on black or transparent).")
    elif task == "inpaint":
        raise BadInput("Inpainting needs a mask: a black image of the photo's size, white where pixels are missing.")
    params = {"task": task, "image": _keep_input(services.store, image),
              "mask": _keep_input(services.store, mask) if mask is not None else None, "sigma": sigma,
              "quality": quality, "width": size[0], "height": size[1]}
    versions = "+".join(f"{m}@{registry.get(m).version}" for m in TASK_MODELS[task])  # type: ignore[union-attr]
    record = JobRecord(id=new_job_id(), kind="restore", created_at=utcnow(), params=params,
                       cache_key=cache_key_for("restore", task, versions, params))
    return _enqueue_or_answer_from_cache(services, record)


def photo_preview(services: Services, *, image: bytes) -> bytes:
    """The upload as an 8-bit sRGB PNG at full resolution, decoded exactly as a repair job will decode it; the
    same errors as `submit_restore` for a bad upload. No job, nothing stored."""
    started = time.perf_counter()
    with PREVIEW_SLOTS:
        png = preview_png(image, max_pixels=services.settings.max_pixels)
    log.info("preview of %d bytes -> %d bytes PNG in %.0f ms", len(image), len(png),
             (time.perf_counter() - started) * 1000)
    return png


def _keep_input(store: Store, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    if not store.has_blob(input_key(digest)):
        store.put_blob(input_key(digest), data)
    return digest


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
        raise QueueUnavailable("Too many jobs are waiting.")
    services.store.create_job(record)
    try:
        services.queue.submit(record.id, record.kind)
    except QueueUnavailable:
        # Nothing is lost silently: the record says why it never ran.
        services.store.update_job(record.id, status="failed", finished_at=utcnow(),
                                  error=JobError(code="queue_unavailable", message="The job queue was unreachable."))
        raise
    return record


def get_job(services: Services, job_id: str) -> JobRecord:
    record = services.store.get_job(job_id) if _looks_like_id(job_id) else None
    if record is None:
        raise UnknownJob(f"No job with id {job_id!r} (it may have expired).")
    return record


def _looks_like_id(job_id: str) -> bool:
    return len(job_id) == 32 and all(c in "0123456789abcdef" for c in job_id)


# Job kinds whose results include a looped animation (stored as the blob "animation").
ANIMATED_KINDS = frozenset({"interpolate"})


def job_view(record: JobRecord, base: str = "/api/v1/jobs") -> JobView:
    done = record.status == "succeeded"
    images = [ImageView(index=im.index, seed=im.seed, class_name=im.class_name, label=im.label, t=im.t,
                        variation_seed=im.variation_seed, noise_level=im.noise_level,
                        url=f"{base}/{record.id}/result/{im.index}")
              for im in record.images] if done else []
    return JobView(
        id=record.id, kind=record.kind, status=record.status, progress=record.progress,
        created_at=record.created_at, started_at=record.started_at, finished_at=record.finished_at,
        params=record.params, cache_hit=record.cache_hit, results=[im.url for im in images],
        grid_url=f"{base}/{record.id}/result" if done else None, images=images,
        animation_url=f"{base}/{record.id}/animation" if done and record.kind in ANIMATED_KINDS else None,
        error=record.error.model_dump() if record.error else None,
        device=record.device, duration_ms=record.duration_ms, cancel_requested=record.cancel_requested,
        train=_train_view(record, base) if record.train is not None else None,
    )


def _train_view(record: JobRecord, base: str) -> TrainView:
    t = record.train
    assert t is not None
    # ?step= makes each new grid a new URL, so the browser never shows a cached older one
    samples = f"{base}/{record.id}/samples/latest?step={t.sample_step}" if t.sample_step is not None else None
    return TrainView(**t.model_dump(), samples_url=samples)


def _finished(services: Services, job_id: str) -> JobRecord:
    record = get_job(services, job_id)
    if record.status == "failed":
        raise NotReady(f"Job {job_id} failed: {record.error.message if record.error else 'unknown error'}")
    if record.status == "cancelled":
        raise NotReady(f"Job {job_id} was cancelled; it has no result.")
    if record.status != "succeeded":
        raise NotReady(f"Job {job_id} is {record.status}; its result is not ready yet.")
    return record


def result_animation(services: Services, job_id: str) -> tuple[bytes, str]:
    """The animated WebP of an interpolate job, and its download name."""
    record = get_job(services, job_id)
    if record.kind not in ANIMATED_KINDS:
        raise NotFound(f"Job {job_id} is a {record.kind} job; only interpolate jobs have an animation.")
    record = _finished(services, job_id)
    data = services.store.get_blob(blob_key(record.cache_key, "animation"))
    if data is None:
        raise UnknownJob(f"The results of job {job_id} have expired.")
    return data, _download_name(record, None).replace("-strip.png", ".webp")


def result_png(services: Services, job_id: str, index: int | None) -> tuple[bytes, str]:
    """PNG bytes and a download file name for the grid (index None) or one image."""
    record = _finished(services, job_id)
    if index is not None and not 0 <= index < len(record.images):
        raise UnknownJob(f"Job {job_id} has {len(record.images)} images; there is no image {index}.")
    name = "grid" if index is None else str(index)
    data = services.store.get_blob(blob_key(record.cache_key, name))
    if data is None:
        raise UnknownJob(f"The results of job {job_id} have expired.")
    return data, _download_name(record, index)


def cancel_job(services: Services, job_id: str) -> JobRecord:
    """Ask a queued or running job to stop. A queued job is cancelled at once (a worker that picks its message up
    skips it); a running one stops at its next progress report (a training job: within a step or two). Cancelling
    a job that already finished is refused with 409, except repeating a cancel, which answers the same."""
    record = get_job(services, job_id)
    if record.status == "cancelled":
        return record
    if record.status in FINISHED:
        raise NotReady(f"Job {job_id} already {record.status}; only a queued or running job can be cancelled.")
    # The flag is always set, so a worker that started the job in the meantime still sees it; only a job still
    # queued is marked cancelled here.
    fields: dict = {"cancel_requested": True}
    if record.status == "queued":
        fields |= {"status": "cancelled", "finished_at": utcnow()}
    record = services.store.update_job(job_id, **fields)
    log.info("job %s kind=%s cancel requested (was %s)", job_id, record.kind, "queued" if "status" in fields
             else "running")
    return record


def delete_job(services: Services, job_id: str) -> None:
    """Forget a finished job. A queued or running one is refused: its worker would write the record back."""
    record = get_job(services, job_id)
    if record.status not in FINISHED:
        raise NotReady(f"Job {job_id} is {record.status}; a job can be deleted once it has finished.")
    # Only the record goes, so the job's result URLs answer 404 from now on. Its result blobs are content-addressed
    # and shared with the result cache (another job with the same parameters, earlier or later, points at the same
    # blobs), and its uploaded inputs are shared the same way by content hash; deleting them could break another
    # job, so they are left to expire with their TTL.
    services.store.delete_job(job_id)
    log.info("job %s kind=%s deleted", job_id, record.kind)


def delete_model(services: Services, model_id: str) -> None:
    """Delete a model trained from an artist's images (worker/user_models.py delete_user_model): 404 for an unknown
    id, 409 for a shipped model. Only a published model can be deleted; a train job still running has only claimed
    its id, so it is unknown here until it finishes (cancel the job to stop it). From now on this process neither
    lists nor serves the model (the embedded worker shares this registry); Celery workers drop it at their next
    job, and a job queued for it fails as for any unknown model."""
    delete_user_model(services.registry, services.user_models, model_id)
    log.info("model %s deleted", model_id)


# Magic bytes of the upload formats a repair accepts -> (media type, file extension).
_INPUT_SIGNATURES: list[tuple[bytes, int, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"WEBP", 8, "image/webp", "webp"),  # after "RIFF" and the chunk size
    (b"II*\x00", 0, "image/tiff", "tif"),
    (b"MM\x00*", 0, "image/tiff", "tif"),
]


def sniff_image_type(data: bytes) -> tuple[str, str]:
    """(media type, extension) of an uploaded photo, from its first bytes; unknown bytes are served as binary."""
    for magic, offset, media_type, ext in _INPUT_SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            return media_type, ext
    return "application/octet-stream", "bin"


def job_input(services: Services, job_id: str, which: str) -> tuple[bytes, str, str]:
    """The bytes a repair job was submitted with ("image" or "mask"), their media type and a file name."""
    record = get_job(services, job_id)
    if record.kind != "restore":
        raise NotFound(f"Job {job_id} is a {record.kind} job; only repair jobs have uploaded inputs.")
    digest = record.params.get(which)
    if not digest:
        raise NotFound(f"Job {job_id} was submitted without a {which}.")
    data = services.store.get_blob(input_key(digest))
    if data is None:
        raise NotFound(f"The uploaded {which} of job {job_id} has expired.")
    media_type, ext = sniff_image_type(data)
    return data, media_type, f"{record.params['task']}-{digest[:8]}-{which}.{ext}"


def _download_name(record: JobRecord, index: int | None) -> str:
    p = record.params
    if record.kind == "restore":
        label = record.images[index].label if index is not None else "result"
        return f"{p['task']}-{p['image'][:8]}-{label}.png"
    if record.kind == "train":  # its one result is the new model's preview grid
        return f"{(record.train.model_id if record.train else None) or p['model_id']}-preview.png"
    if record.kind == "upscale":  # image 0 (and the grid) is ours, image 1 the bicubic comparison
        label = record.images[index].label if index is not None else p["method"]
        return f"upscale-{p['image'][:8]}-x{p['scale']}-{label}.png"
    if record.kind == "interpolate":
        stem = f"{p['model']}-s{p['from']['seed']}-to-s{p['to']['seed']}"
        return f"{stem}-strip.png" if index is None else f"{stem}-{index:03d}.png"
    if record.kind == "variations":
        stem = f"{p['model']}-s{p['seed']}-var"
        if index is None:
            return f"{stem}-grid.png"
        return f"{stem}-v{record.images[index].variation_seed}-{index:03d}.png"
    if index is None:
        return f"{p['model']}-s{p['seed']}-grid.png"
    return f"{p['model']}-s{record.images[index].seed}-{index:03d}.png"
