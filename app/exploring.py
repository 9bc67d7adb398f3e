"""Interpolate and variations requests: resolve each image reference (a seed, or an image of an earlier generate
job) to an explicit seed and class, validate, and hand the job to the same cache-or-queue path as generate.

The stored params are fully explicit (classes resolved from seeds, truncation and variation seed filled in), so
the cache key is the content address of the pixels: the same images asked for either way share one result."""

from __future__ import annotations

import secrets
from typing import Any

from app.schemas import ImageRef, InterpolateRequest, VariationsRequest
from app.services import (
    Services,
    _enqueue_or_answer_from_cache,
    check_class,
    generator_info,
)
from atelier.errors import BadInput
from models.registry import ModelInfo
from models.seeding import MAX_SEED, class_for_seed
from worker.records import JobRecord, cache_key_for, new_job_id, utcnow


def _source(services: Services, ref: ImageRef, where: str) -> dict[str, Any] | None:
    """For a {job, index} reference: that image's model, seed, class and truncation. None for a seed reference."""
    if (ref.job is None) == (ref.seed is None):
        raise BadInput(f"{where}: give either a seed or a job (with index), not {'both' if ref.job else 'neither'}.")
    if ref.job is None:
        return None
    if ref.class_name is not None:
        raise BadInput(f"{where}: an image of a job already has its class; leave out 'class'.")
    record = services.store.get_job(ref.job) if len(ref.job) == 32 else None
    if record is None:
        raise BadInput(f"{where}: there is no job {ref.job!r} (it may have expired).")
    if record.kind != "generate":
        raise BadInput(f"{where}: job {ref.job} is a {record.kind} job; only images of generate jobs have a seed "
                       "to start from.")
    if record.status != "succeeded":
        raise BadInput(f"{where}: job {ref.job} is {record.status}; it has no images yet.")
    if ref.index >= len(record.images):
        raise BadInput(f"{where}: job {ref.job} has {len(record.images)} images; there is no image {ref.index}.")
    image = record.images[ref.index]
    return {"model": record.params["model"], "seed": image.seed, "class": image.class_name,
            "truncation": record.params["truncation"]}


def _model(services: Services, requested: str | None, sources: list[dict[str, Any] | None]) -> ModelInfo:
    models = {s["model"] for s in sources if s is not None}
    if requested is not None:
        models.add(requested)
    if not models:
        raise BadInput("Say which model: 'model' is needed when no image comes from a job.")
    if len(models) > 1:
        raise BadInput(f"All images must come from one model; got {', '.join(sorted(models))}.")
    return generator_info(services, models.pop())


def _end(info: ModelInfo, ref: ImageRef, source: dict[str, Any] | None) -> dict[str, Any]:
    if source is not None:
        return {"seed": source["seed"], "class": source["class"]}
    check_class(info, ref.class_name)
    return {"seed": ref.seed, "class": _class_of(info, ref.seed, ref.class_name)}  # type: ignore[arg-type]


def _class_of(info: ModelInfo, seed: int, class_name: str | None) -> str | None:
    """The class a generate job draws for this seed when it is asked for none (models/seeding.py)."""
    if not info.classes or class_name is not None:
        return class_name
    return info.classes[class_for_seed(seed, len(info.classes))]


def _truncation(requested: float | None, sources: list[dict[str, Any] | None]) -> float:
    if requested is not None:
        return requested
    return next((s["truncation"] for s in sources if s is not None), 1.0)


def submit_interpolate(services: Services, request: InterpolateRequest) -> JobRecord:
    limit = services.settings.max_count
    if request.frames > limit:
        raise BadInput(f"frames must be between 2 and {limit}; got {request.frames}.")
    sources = [_source(services, request.start, "from"), _source(services, request.end, "to")]
    info = _model(services, request.model, sources)
    params = {
        "model": info.id,
        "from": _end(info, request.start, sources[0]),
        "to": _end(info, request.end, sources[1]),
        "frames": request.frames,
        "truncation": _truncation(request.truncation, sources),
        "ease": request.ease,
        "pingpong": request.pingpong,
    }
    record = JobRecord(id=new_job_id(), kind="interpolate", created_at=utcnow(), params=params,
                       cache_key=cache_key_for("interpolate", info.id, info.version, params))
    return _enqueue_or_answer_from_cache(services, record)


def submit_variations(services: Services, request: VariationsRequest) -> JobRecord:
    limit = services.settings.max_count
    if request.count > limit:
        raise BadInput(f"count must be between 1 and {limit}; got {request.count}.")
    ref = ImageRef(seed=request.seed, class_name=request.class_name, job=request.job, index=request.index)
    source = _source(services, ref, "source")
    info = _model(services, request.model, [source])
    end = _end(info, ref, source)
    params = {
        "model": info.id,
        "seed": end["seed"],
        "class": end["class"],
        "count": request.count,
        "strength": request.strength,
        "variation_seed": request.variation_seed if request.variation_seed is not None
        else secrets.randbelow(MAX_SEED + 1),
        "truncation": _truncation(request.truncation, [source]),
    }
    record = JobRecord(id=new_job_id(), kind="variations", created_at=utcnow(), params=params,
                       cache_key=cache_key_for("variations", info.id, info.version, params))
    return _enqueue_or_answer_from_cache(services, record)
