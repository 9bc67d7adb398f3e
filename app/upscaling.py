"""Upscale requests: the source is an image of an earlier job (job id + index) or an upload; either way its bytes
are validated like a repair upload, kept by content hash, and the job goes through the same cache-or-queue path.

The cache key is the source's content hash, the scale and the method's version — not where the image came from —
so the same pixels asked for twice, by reference or by upload, share one result."""

from __future__ import annotations

from typing import Any

from app.services import Services, _enqueue_or_answer_from_cache, _keep_input
from atelier.errors import BadInput
from models import upscale as up
from worker.photo_io import probe_photo
from worker.records import JobRecord, blob_key, cache_key_for, new_job_id, utcnow
from worker.upscale import check_scale


def _referenced(services: Services, job_id: str, index: int) -> bytes:
    """The PNG of image `index` of a finished job."""
    record = services.store.get_job(job_id) if len(job_id) == 32 else None
    if record is None:
        raise BadInput(f"There is no job {job_id!r} (it may have expired).")
    if record.status != "succeeded":
        raise BadInput(f"Job {job_id} is {record.status}; it has no images to upscale.")
    if not 0 <= index < len(record.images):
        raise BadInput(f"Job {job_id} has {len(record.images)} images; there is no image {index}.")
    data = services.store.get_blob(blob_key(record.cache_key, index))
    if data is None:
        raise BadInput(f"The images of job {job_id} have expired.")
    return data


def submit_upscale(services: Services, *, image: bytes | None, job: str | None, index: int,
                   scale: int) -> JobRecord:
    if (image is None) == (job is None):
        raise BadInput("Give either an image (upload) or a job (with index) to upscale, not "
                       f"{'both' if image is not None else 'neither'}.")
    source: dict[str, Any] | None = None
    if job is not None:
        image = _referenced(services, job, index)
        source = {"job": job, "index": index}
    assert image is not None
    limit = services.settings.max_pixels
    size = probe_photo(image, max_pixels=limit)  # type, pixel count, every byte decodes; (W, H) as displayed
    check_scale(scale, size, max_pixels=limit)
    digest = _keep_input(services.store, image)
    params = {"image": digest, "scale": scale, "method": up.METHOD, "width": size[0], "height": size[1],
              "source": source}
    content = {"image": digest, "scale": scale}  # what decides the pixels
    record = JobRecord(id=new_job_id(), kind="upscale", created_at=utcnow(), params=params,
                       cache_key=cache_key_for("upscale", up.METHOD, str(up.METHOD_VERSION), content))
    return _enqueue_or_answer_from_cache(services, record)
