"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.deps import ServicesDep
from app.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive and serving requests."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(services: ServicesDep) -> JSONResponse:
    """Ready to take jobs: the store and queue (Redis, or the embedded pool) answer, and models are present."""
    registry = services.registry
    checks = {
        "store": services.store.ping(),
        "queue": services.queue.ready(),
        "models": bool(registry.all()) and not registry.missing_weights(),
    }
    ok = all(checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks,
                  mode="distributed" if services.settings.distributed else "embedded")
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
