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
    url: str


class JobView(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    params: dict[str, Any]
    cache_hit: bool
    results: list[str] = Field(description="URL of each image's PNG, in order")
    grid_url: str | None = Field(description="URL of all images tiled in one PNG")
    images: list[ImageView]
    error: ErrorBody | None
    device: str | None = None
    duration_ms: int | None = None


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
    preview_url: str | None = Field(None, description="URL of the model's sample grid PNG (fixed seeds, one row "
                                    "per class), keyed by version; null when it has none")


class ModelList(BaseModel):
    models: list[ModelView]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    mode: Literal["embedded", "distributed"] | None = None
    checks: dict[str, bool] = {}
