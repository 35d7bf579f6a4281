"""`/v1/api-keys`: the caller's API keys."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from parley.api.deps import ClientDep, PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.identity import ApiKeyCreatedOut, ApiKeyIn, ApiKeyListOut, ApiKeyOut

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(401, 422))
async def create_api_key(
    body: ApiKeyIn, principal: PrincipalDep, services: ServicesDep, client: ClientDep
) -> ApiKeyCreatedOut:
    created = await services.identity.create_api_key(principal, body.name, body.expires_at, client)
    return ApiKeyCreatedOut(**ApiKeyOut.of(created.key).model_dump(), key=created.secret)


@router.get("", responses=responses(401))
async def list_api_keys(principal: PrincipalDep, services: ServicesDep) -> ApiKeyListOut:
    keys = await services.identity.list_api_keys(principal)
    return ApiKeyListOut(items=[ApiKeyOut.of(key) for key in keys])


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 404))
async def revoke_api_key(
    key_id: UUID, principal: PrincipalDep, services: ServicesDep, client: ClientDep
) -> Response:
    await services.identity.revoke_api_key(principal, key_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
