"""/api/v1/models: the networks this deployment serves, with their measured quality."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import ServicesDep
from app.schemas import ModelList, ModelView

router = APIRouter(prefix="/api/v1/models", tags=["models"])


@router.get("", response_model=ModelList)
def list_models(services: ServicesDep) -> ModelList:
    return ModelList(models=[ModelView(**m.public()) for m in services.registry.all()])
