"""`GET /v1/models`: the models the caller may use, in OpenAI's list shape."""

from __future__ import annotations

from fastapi import APIRouter

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.models import ModelListOut, ModelOut

router = APIRouter(prefix="/v1/models", tags=["chat"])


@router.get("", responses=responses(401))
async def list_models(principal: PrincipalDep, services: ServicesDep) -> ModelListOut:
    models = await services.models.list_available(principal)
    return ModelListOut(data=[ModelOut.of(model) for model in models])
