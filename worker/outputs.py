"""What a job handler gives back to the task function, which stores it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from worker.records import ImageInfo, JobRecord
from worker.runtime import ModelCache
from worker.store import Store


@dataclass
class JobOutput:
    images: list[tuple[ImageInfo, bytes]]  # each result PNG with what the job record says of it
    primary: bytes  # what GET /result serves: the grid of a generate job, the repaired photo of a restore job
    device: str  # where the network ran: "cpu", "cuda:0"
    extras: dict[str, bytes] = field(default_factory=dict)  # other named files, e.g. an interpolation's "animation"


class JobHandler(Protocol):
    def __call__(self, record: JobRecord, *, store: Store, models: ModelCache,
                 on_progress: Callable[[float], None]) -> JobOutput: ...
