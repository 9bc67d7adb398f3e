"""One settings class, read from the environment (prefix ATELIER_) and validated at start-up.

Every field is documented here and in .env.example. Only app/ and worker/ read settings; models/ takes plain
arguments.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_WEIGHTS = REPO_ROOT / "models" / "weights"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATELIER_", env_file=None, extra="ignore")

    # Deployment
    host: str = Field("127.0.0.1", description="Address `atelier serve` binds; localhost unless set")
    port: int = Field(8000, ge=1, le=65535, description="Port `atelier serve` binds")
    redis_url: str | None = Field(
        None, description="Redis URL; set => distributed mode (Celery workers), unset => embedded mode"
    )
    data_dir: Path = Field(REPO_ROOT / "var", description="Embedded mode: where job records, results, cache and "
                           "trained user models live; distributed mode: a local copy of the user models")
    model_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [SHIPPED_WEIGHTS],
        description="Folders scanned for <model-id>.json + <model-id>.safetensors checkpoints",
    )

    # Jobs
    result_ttl_seconds: int = Field(7 * 24 * 3600, ge=60, description="How long job records and results are kept")
    embedded_workers: int = Field(1, ge=1, le=16, description="Embedded mode: background worker threads")
    visibility_timeout_seconds: int = Field(
        3600, ge=1, description="Redis: a job whose worker vanished is redelivered this long after the worker's "
        "last heartbeat (a running job keeps its own message invisible, however long it runs)"
    )
    max_queued_jobs: int = Field(
        1000, ge=1, description="Jobs waiting beyond this (in both queues, quick and training) are refused with 503")

    # Limits on requests
    max_count: int = Field(64, ge=1, le=256, description="Most images one generate job may ask for")
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024, description="Largest accepted upload")
    max_pixels: int = Field(40_000_000, ge=1, description="Largest accepted image, in pixels")

    # Training on an artist's own images (`train` jobs, `atelier train images`)
    train_min_images: int = Field(16, ge=1, description="Fewest images a training upload may hold")
    train_max_images: int = Field(2000, ge=1, description="Most images a training upload may hold (413 beyond)")
    train_max_steps: int = Field(20_000, ge=1, description="Most optimiser steps one training job may ask for")
    train_default_steps: int = Field(2000, ge=1, description="Steps when the request names none")
    train_max_zip_bytes: int = Field(100 * 1024 * 1024, ge=1024, description="Largest training zip upload, bytes")
    train_max_uncompressed_bytes: int = Field(
        512 * 1024 * 1024, ge=1024, description="Most bytes a training zip may expand to (zip bombs are refused)")
    train_max_files: int = Field(5000, ge=1, description="Most entries (files and folders) in a training zip")
    train_max_ratio: int = Field(
        200, ge=2, description="Largest compression ratio of one zip entry over 1 MiB (zip bombs are refused)")
    train_checkpoint_every: int = Field(
        200, ge=1, description="Steps between resumable checkpoints of a training job (kept in the job store)")
    train_sample_every: int = Field(100, ge=1, description="Steps between the sample grids a training job shows")
    train_base_channels: int = Field(
        32, ge=4, le=128, description="Width of the networks a training job builds (channels at full resolution)")
    train_calibration_batches: int = Field(
        4, ge=1, le=20, description="Batches of generated images that re-estimate the exported generator's "
        "batch-norm statistics (more: steadier, slower); sample grids use the same")
    train_precision: Literal["fp32", "bf16"] = Field(
        "fp32", description="Arithmetic of a training job's steps: bf16 (bfloat16 autocast, float32 weights) trains "
        "about 2x faster on CPUs with AVX512-BF16 or AMX and on recent GPUs, and slower elsewhere; measure it with "
        "`atelier benchmark training-speed`")
    train_threads: int | None = Field(
        None, ge=1, description="torch CPU threads a training job uses (default: torch's own choice)")

    # Hardware
    device: str | None = Field(None, description="Force a torch device (cpu, cuda, cuda:1); default: CUDA if present")

    @field_validator("model_dirs", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        # ATELIER_MODEL_DIRS="a:b" reads naturally from a shell; JSON lists also work.
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [p for p in value.split(":") if p]
        return value

    @property
    def distributed(self) -> bool:
        return bool(self.redis_url)


@lru_cache
def get_settings() -> Settings:
    return Settings()
