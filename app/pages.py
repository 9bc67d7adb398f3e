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
    generators = [m.public() for m in services.registry.all() if m.kind == "generator"]
    default = "digits" if any(m["id"] == "digits" for m in generators) else (generators[0]["id"] if generators else None)
    return templates.TemplateResponse(request, "generate.html", {
        "models": generators,
        "default_model": default,
        "max_count": services.settings.max_count,
    })
