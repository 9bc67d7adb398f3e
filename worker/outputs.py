"""What a job handler gives back to the task function, which stores it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from worker.records import ImageInfo, JobRecord
from worker.runtime import ModelCache
from worker.store import Store


@dataclass
class JobOutput:
    images: list[tuple[ImageInfo, bytes]]  # each result PNG with what the job record says of it
    primary: bytes  # what GET /result serves: the grid of a generate job, the repaired photo of a restore job
    device: str  # where the network ran: "cpu", "cuda:0"
    extras: dict[str, bytes] = field(default_factory=dict)  # other named files, e.g. an interpolation's "animation"
    fields: dict[str, Any] = field(default_factory=dict)  # more job-record fields to write with success (train)


class JobCancelled(Exception):
    """Raised out of a handler's progress report when someone cancelled the job (POST /jobs/{id}/cancel)."""


class JobInterrupted(Exception):
    """Raised out of a handler's progress report when its process is shutting down (an embedded server stopping, a
    Celery worker's warm shutdown): the job goes back to the queue; a training job resumes from its checkpoint."""


class JobHandler(Protocol):
    # on_progress(fraction, **record_fields): record_fields (e.g. train=TrainProgress) are written with the progress
    def __call__(self, record: JobRecord, *, store: Store, models: ModelCache,
                 on_progress: Callable[..., None]) -> JobOutput: ...
