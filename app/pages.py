"""HTML pages, server-rendered with Jinja2; the page's script talks to REST API v1."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.deps import ServicesDep
from atelier.settings import REPO_ROOT

templates = Jinja2Templates(directory=str(REPO_ROOT / "templates"))
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def generate_page(request: Request, services: ServicesDep) -> HTMLResponse:
    generators = [m.public() for m in services.refresh_models().all() if m.kind == "generator"]
    default = "digits" if any(m["id"] == "digits" for m in generators) else (generators[0]["id"] if generators else None)
    return templates.TemplateResponse(request, "generate.html", {
        "models": generators,
        "default_model": default,
        "max_count": services.settings.max_count,
    })


@router.get("/repair", response_class=HTMLResponse)
def repair_page(request: Request, services: ServicesDep) -> HTMLResponse:
    restorers = {m.id: m.public() for m in services.registry.all() if m.kind == "restore"}
    return templates.TemplateResponse(request, "repair.html", {
        "restorers": restorers,  # denoise / inpaint / detect, when installed
        "max_upload_bytes": services.settings.max_upload_bytes,
        "max_pixels": services.settings.max_pixels,
    })


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, services: ServicesDep) -> HTMLResponse:
    # The list itself comes from this browser's history (static/js/history.js) and GET /api/v1/jobs/{id}.
    return templates.TemplateResponse(request, "jobs.html", {
        "kept_for": _duration_words(services.settings.result_ttl_seconds),
    })


@router.get("/train", response_class=HTMLResponse)
def train_page(request: Request, services: ServicesDep) -> HTMLResponse:
    s = services.settings
    return templates.TemplateResponse(request, "train.html", {
        "limits": {"max_zip_bytes": s.train_max_zip_bytes, "min_images": s.train_min_images,
                   "max_images": s.train_max_images, "max_steps": s.train_max_steps,
                   "default_steps": s.train_default_steps},
        "kept_for": _duration_words(s.result_ttl_seconds),
    })


def _duration_words(seconds: int) -> str:
    """7 days, 36 hours, 30 minutes: how long the server keeps a job, as a person would say it."""
    for unit, size in (("day", 86400), ("hour", 3600)):
        if seconds >= 2 * size:
            return f"{round(seconds / size)} {unit}s"
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
