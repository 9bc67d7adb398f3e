"""The job record: what a job is, as stored in Redis (distributed) or on local disk (embedded)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_job_id() -> str:
    return uuid.uuid4().hex


class ImageInfo(BaseModel):
    index: int  # position in the job's results
    seed: int | None = None  # generate: the seed this one image was drawn from (re-create it with count=1)
    class_name: str | None = Field(None, alias="class")  # generate: its class
    label: str | None = None  # restore: "result" or "mask" (the detected damage of an auto repair)
    t: float | None = None  # interpolate: where this frame lies between the two ends, 0..1
    variation_seed: int | None = None  # variations: the seed of the noise this image was turned towards
    noise_level: float | None = None  # restore: the level the denoiser ran with (0-255 scale; estimated when blind)

    model_config = {"populate_by_name": True}


class JobError(BaseModel):
    code: str
    message: str


class TrainProgress(BaseModel):
    """What a `train` job reports while it runs (worker/train.py), throttled like `progress`."""

    phase: Literal["preparing", "training", "exporting", "done"] = "preparing"
    step: int = 0  # optimiser steps done
    total_steps: int = 0
    losses: dict[str, float] = Field(default_factory=dict)  # latest d_loss, g_loss, ... (mean since last report)
    steps_per_second: float | None = None
    eta_seconds: float | None = None  # time left at the current speed, export included roughly
    sample_step: int | None = None  # step of the latest sample grid (blob `train-<job id>/samples`)
    checkpoint_step: int | None = None  # step of the latest resumable checkpoint in the store
    resumed_from: int | None = None  # step this run of the job resumed from (a worker died or restarted)
    model_id: str | None = None  # the model registered on success


class JobRecord(BaseModel):
    id: str
    kind: str  # "generate", "interpolate", "variations", "restore", "train"
    status: JobStatus = "queued"
    progress: float = 0.0  # 0..1
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    params: dict[str, Any]  # validated request, with defaults (seed, truncation) made explicit
    cache_key: str  # content address of the results: same key => same pixels
    cache_hit: bool = False
    images: list[ImageInfo] = Field(default_factory=list)
    error: JobError | None = None
    attempts: int = 0  # how many times a worker started this job (redelivery after a crash counts)
    device: str | None = None  # where it ran: "cpu", "cuda:0"
    duration_ms: int | None = None
    cancel_requested: bool = False  # set by POST /jobs/{id}/cancel; the worker stops at its next progress report
    train: TrainProgress | None = None  # train jobs only

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> "JobRecord":
        return cls.model_validate_json(raw)


def cache_key_for(kind: str, model_id: str, model_version: str, params: dict[str, Any]) -> str:
    """Content address of a request: everything that decides the output pixels, and nothing else."""
    canonical = json.dumps(
        {"kind": kind, "model": model_id, "version": model_version, "params": params},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def blob_key(cache_key: str, name: str | int) -> str:
    """Results are stored under the request's content address: `<cache_key>/<index>`, `<cache_key>/grid` and
    extras such as `<cache_key>/animation`."""
    return f"{cache_key}/{name}"
