"""Request and response schemas of REST API v1 ("schemas"; "models" means networks here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.seeding import MAX_SEED


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str = Field(..., description="Model id, e.g. `digits` (see GET /api/v1/models)", examples=["digits"])
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Seed of the first image; image i uses seed+i. "
                             "Omitted: a random seed is chosen and recorded in the job.")
    count: int = Field(1, ge=1, description="How many images (1 to the server's limit, 64 by default)")
    class_name: str | None = Field(None, alias="class", description="Class to draw, e.g. `7`; omitted: "
                                   "each image's class is derived from its seed")
    truncation: float = Field(1.0, gt=0.0, le=1.0, description="Truncation psi: 1 = full variety, lower = "
                              "closer to the average latent (cleaner, less varied)")


class ImageRef(BaseModel):
    """One image: a seed (and class), or an image of an earlier generate job."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Seed of the image (as in a generate job)")
    class_name: str | None = Field(None, alias="class", description="Its class; omitted: derived from the seed")
    job: str | None = Field(None, description="Or: id of a finished generate job ...")
    index: int = Field(0, ge=0, description="... and which of its images (0 = the first)")


class InterpolateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str | None = Field(None, description="Model id; may be left out when an end is a job's image",
                              examples=["digits"])
    start: ImageRef = Field(..., alias="from", description="First frame: {seed, class?} or {job, index}")
    end: ImageRef = Field(..., alias="to", description="Last frame: {seed, class?} or {job, index}")
    frames: int = Field(16, ge=2, description="Frames including both ends (2 to the server's limit, 64 by default)")
    truncation: float | None = Field(None, gt=0.0, le=1.0, description="Truncation psi; omitted: that of the job "
                                     "an end comes from, else 1")
    ease: Literal["linear", "smoothstep"] = Field("linear", description="Frame timing: even steps, or slow at both "
                                                  "ends")
    pingpong: bool = Field(False, description="The animation plays forwards then backwards (else it jumps back)")


class VariationsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str | None = Field(None, description="Model id; may be left out with `job`", examples=["digits"])
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Seed of the source image")
    class_name: str | None = Field(None, alias="class", description="Its class; omitted: derived from the seed")
    job: str | None = Field(None, description="Or: id of a finished generate job whose image is the source ...")
    index: int = Field(0, ge=0, description="... and which of its images")
    count: int = Field(8, ge=1, description="How many variations (1 to the server's limit)")
    strength: float = Field(0.3, ge=0.0, le=1.0, description="How far each latent turns from the source towards "
                            "its noise: 0 = the source itself, 1 = an unrelated image")
    variation_seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Seed of the first variation's noise "
                                       "(variation i uses +i); omitted: random, recorded in the job")
    truncation: float | None = Field(None, gt=0.0, le=1.0, description="Truncation psi; omitted: the source job's, "
                                     "else 1")


class JobCreated(BaseModel):
    id: str
    status_url: str


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ImageView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    index: int
    seed: int | None = None
    class_name: str | None = Field(None, alias="class")
    label: str | None = None
    t: float | None = Field(None, description="interpolate: the frame's position between the ends, 0..1")
    variation_seed: int | None = Field(None, description="variations: the seed of this image's noise")
    noise_level: float | None = Field(None, description="restore: the noise level (0-255) the denoiser ran with; "
                                      "read off the photo when blind")
    url: str


class TrainView(BaseModel):
    """What a train job reports while it runs, and which model it registered."""

    phase: Literal["preparing", "training", "exporting", "done"]
    step: int = Field(description="Optimiser steps done")
    total_steps: int
    losses: dict[str, float] = Field(description="Latest losses: d_loss, g_loss, d_real, d_fake")
    steps_per_second: float | None
    eta_seconds: float | None = Field(description="Time left at the current speed, in seconds")
    sample_step: int | None = Field(description="Step of the latest sample grid; null before the first")
    samples_url: str | None = Field(None, description="URL of the latest sample grid PNG")
    checkpoint_step: int | None = Field(description="Step of the latest resumable checkpoint")
    resumed_from: int | None = Field(description="Step this run resumed from after a worker stopped; null if none")
    model_id: str | None = Field(description="The model registered on success (use it with generate)")


class JobView(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    params: dict[str, Any]
    cache_hit: bool
    results: list[str] = Field(description="URL of each image's PNG, in order")
    grid_url: str | None = Field(description="URL of all images tiled in one PNG")
    images: list[ImageView]
    animation_url: str | None = Field(None, description="interpolate: URL of the looped animated WebP")
    error: ErrorBody | None
    device: str | None = None
    duration_ms: int | None = None
    cancel_requested: bool = Field(False, description="A cancel was asked for; the job stops at its next step")
    train: TrainView | None = Field(None, description="train jobs: progress, losses, time left, the new model")


class ModelView(BaseModel):
    id: str
    kind: str
    version: str
    description: str
    classes: list[str]
    image_size: int
    channels: int
    metrics: dict[str, Any]
    card: str | None
    origin: str | None = Field(None, description="Where a model not shipped with Atelier came from, e.g. "
                               "\"trained from your images\"")
    preview_url: str | None = Field(None, description="URL of the model's sample grid PNG (fixed seeds, one row "
                                    "per class), keyed by version; null when it has none")


class ModelList(BaseModel):
    models: list[ModelView]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    mode: Literal["embedded", "distributed"] | None = None
    checks: dict[str, bool] = {}
