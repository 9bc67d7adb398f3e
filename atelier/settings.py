"""One settings class, read from the environment (prefix ATELIER_) and validated at start-up.

Every field is documented here and in .env.example. Only app/ and worker/ read settings; models/ takes plain
arguments.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

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
    data_dir: Path = Field(REPO_ROOT / "var", description="Embedded mode: where job records, results and cache live")
    model_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [SHIPPED_WEIGHTS],
        description="Folders scanned for <model-id>.json + <model-id>.safetensors checkpoints",
    )

    # Jobs
    result_ttl_seconds: int = Field(7 * 24 * 3600, ge=60, description="How long job records and results are kept")
    embedded_workers: int = Field(1, ge=1, le=16, description="Embedded mode: background worker threads")
    visibility_timeout_seconds: int = Field(
        3600, ge=1, description="Redis: an unacknowledged task is redelivered after this long (worker died)"
    )
    max_queued_jobs: int = Field(1000, ge=1, description="Jobs waiting beyond this are refused with 503")

    # Limits on requests
    max_count: int = Field(64, ge=1, le=256, description="Most images one generate job may ask for")
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024, description="Largest accepted upload")
    max_pixels: int = Field(40_000_000, ge=1, description="Largest accepted image, in pixels")

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
