"""Which job kinds are long, and which queue each kind of job goes to. Imports nothing heavy: the CLI's argument
parser and the web process read it too.

A training job runs for minutes to hours; generate, repair, upscale and the rest take seconds. The two never wait on
each other: in embedded mode a long job runs on a thread of its own (worker/queue.py), in distributed mode on a Celery
queue of its own, consumed by workers of its own (`atelier worker --queues atelier-train`, docker-compose.yml's
`worker-train`).
"""

from __future__ import annotations

# The one list of long kinds; everything that treats them apart reads it from here.
LONG_KINDS: frozenset[str] = frozenset({"train"})

QUICK_QUEUE = "atelier"  # every other kind; also the queue name of releases before the split
LONG_QUEUE = "atelier-train"
QUEUES: tuple[str, ...] = (QUICK_QUEUE, LONG_QUEUE)


def is_long(kind: str) -> bool:
    return kind in LONG_KINDS


def queue_for(kind: str) -> str:
    """The Celery queue a job of this kind is published to."""
    return LONG_QUEUE if is_long(kind) else QUICK_QUEUE
