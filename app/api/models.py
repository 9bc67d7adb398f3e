"""/api/v1/models: the networks this deployment serves, with their measured quality and sample grids; a model trained
from an artist's images can be deleted."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response, status

from app.deps import ServicesDep
from app.schemas import ErrorResponse, ModelList, ModelView
from app.services import delete_model
from atelier.errors import NotFound, UnknownModel

router = APIRouter(prefix="/api/v1/models", tags=["models"])

PREVIEW = {200: {"content": {"image/png": {}}, "description": "The model's sample grid from fixed seeds"},
           404: {"model": ErrorResponse}}
# A preview's URL carries its model's version (?v=), and a new version is a new URL, so a matching one is cached
# for good; any other request revalidates against the ETag.
CACHE_VERSIONED = "public, max-age=31536000, immutable"
CACHE_UNVERSIONED = "no-cache"


@router.get("", response_model=ModelList)
def list_models(services: ServicesDep) -> ModelList:
    return ModelList(models=[ModelView(**m.public()) for m in services.refresh_models().all()])


@router.get("/{model_id}/preview", response_class=Response, responses=PREVIEW)
def read_preview(model_id: str, request: Request, services: ServicesDep, v: str | None = None) -> Response:
    """The PNG the generate page shows beside a model: one row per class (or 4 rows) of 8 fixed seeds."""
    info = services.registry.get(model_id) or services.refresh_models().get(model_id)
    if info is None:
        raise UnknownModel(f"unknown model {model_id!r}")
    try:
        data = info.preview_path.read_bytes() if info.preview_path else None
    except FileNotFoundError:  # removed since the registry was read
        data = None
    if data is None:
        raise NotFound(f"model {model_id!r} has no preview")
    etag = f'"{hashlib.sha256(data).hexdigest()[:20]}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_VERSIONED if v == info.version else CACHE_UNVERSIONED,
               "X-Content-Type-Options": "nosniff"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content=data, media_type="image/png", headers=headers)


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses={code: {"model": ErrorResponse} for code in (404, 409, 503)})
def remove_model(model_id: str, services: ServicesDep) -> Response:
    """Delete a model trained from your images: it leaves the list, and generate, interpolate and variations answer
    404 for it from then on; its id is free for a new model. Shipped models cannot be deleted (409, code
    `shipped_model`). A train job still running has published nothing yet, so its model id is unknown (404) until
    it finishes; cancel the job to stop it."""
    delete_model(services, model_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
