"""The FastAPI application: `create_app()` wires settings, services, routers and error handling."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import atelier
from app import pages
from app.api import health, jobs, models, previews, training
from app.errors import install_error_handlers
from app.limits import BodySizeLimit
from app.services import Services
from atelier.settings import REPO_ROOT, Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = Services.start(settings)
        log.info("Atelier %s ready: %s mode, %d models", atelier.__version__,
                 "distributed" if settings.distributed else "embedded", len(app.state.services.registry.all()))
        try:
            yield
        finally:
            app.state.services.close()

    app = FastAPI(title="Atelier", version=atelier.__version__, lifespan=lifespan,
                  description="Generate images with our own GANs and repair photos, as asynchronous jobs.")
    install_error_handlers(app)
    # A training zip may be larger than a photo: its route has its own limit (the form fields add a little).
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes,
                       per_path={"/api/v1/jobs/train": settings.train_max_zip_bytes + 64 * 1024})
    app.include_router(jobs.router)
    app.include_router(training.router)
    app.include_router(models.router)
    app.include_router(previews.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(REPO_ROOT / "static")), name="static")
    return app
