"""`/v1/admin/models`: model configs, for admins."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from parley.api.deps import AdminDep, ClientDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.models import (
    ModelConfigIn,
    ModelConfigListOut,
    ModelConfigOut,
    ModelConfigPatchIn,
)

router = APIRouter(prefix="/v1/admin/models", tags=["admin"])


@router.get("", responses=responses(401, 403))
async def list_model_configs(admin: AdminDep, services: ServicesDep) -> ModelConfigListOut:
    models = await services.models.list_configs(admin)
    return ModelConfigListOut(items=[ModelConfigOut.of(model) for model in models])


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(401, 403, 409, 422))
async def create_model_config(
    body: ModelConfigIn, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> ModelConfigOut:
    model = await services.models.create_config(admin, body.fields(), body.api_key, client)
    return ModelConfigOut.of(model)


@router.get("/{model_id}", responses=responses(401, 403, 404))
async def get_model_config(
    model_id: UUID, admin: AdminDep, services: ServicesDep
) -> ModelConfigOut:
    return ModelConfigOut.of(await services.models.get_config(admin, model_id))


@router.patch("/{model_id}", responses=responses(401, 403, 404, 422))
async def update_model_config(
    model_id: UUID,
    body: ModelConfigPatchIn,
    admin: AdminDep,
    services: ServicesDep,
    client: ClientDep,
) -> ModelConfigOut:
    if "api_key" in body.model_fields_set:
        model = await services.models.update_config(
            admin, model_id, body.changes(), client, api_key=body.api_key
        )
    else:
        model = await services.models.update_config(admin, model_id, body.changes(), client)
    return ModelConfigOut.of(model)


@router.delete(
    "/{model_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404, 409)
)
async def delete_model_config(
    model_id: UUID, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> Response:
    await services.models.delete_config(admin, model_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
