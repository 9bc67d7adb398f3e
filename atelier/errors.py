"""Domain errors, mapped to HTTP in one place (app/errors.py) and stored as code + message in job records.

    AtelierError                 500  internal
    ├── BadInput                 422  bad_input        (malformed or out-of-range request)
    │   └── UnknownClass         422  unknown_class
    ├── TooLarge                 413  too_large        (upload or pixel count over the limit)
    ├── UnsupportedMedia         415  unsupported_media (an upload of the wrong kind, e.g. not a zip)
    ├── NotFound                 404  not_found
    │   ├── UnknownModel         404  unknown_model
    │   └── UnknownJob           404  unknown_job
    ├── NotReady                 409  not_ready        (result asked before the job succeeded)
    │                                 shipped_model    (deleting a model shipped with Atelier)
    └── QueueUnavailable         503  queue_unavailable (broker down; sent with Retry-After)
"""

from __future__ import annotations


class AtelierError(Exception):
    """Base of every error a user may see. `code` is stable and machine-readable; `message` is for people."""

    code = "internal"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class BadInput(AtelierError):
    code = "bad_input"
    http_status = 422


class UnknownClass(BadInput):
    code = "unknown_class"


class TooLarge(AtelierError):
    code = "too_large"
    http_status = 413


class UnsupportedMedia(AtelierError):
    code = "unsupported_media"
    http_status = 415


class NotFound(AtelierError):
    code = "not_found"
    http_status = 404


class UnknownModel(NotFound):
    code = "unknown_model"


class UnknownJob(NotFound):
    code = "unknown_job"


class NotReady(AtelierError):
    code = "not_ready"
    http_status = 409


class QueueUnavailable(AtelierError):
    code = "queue_unavailable"
    http_status = 503
    retry_after_seconds = 5  # sent as Retry-After; the messages leave "when" to it (the studio says "try again in 5 s")
