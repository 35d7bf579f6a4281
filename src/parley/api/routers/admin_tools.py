"""`/v1/admin/tools`: tool definitions (webhooks, MCP servers, built-in overrides), for admins."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.api.deps import AdminDep, ClientDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.tools import (
    ToolDefinitionIn,
    ToolDefinitionListOut,
    ToolDefinitionOut,
    ToolDefinitionPatchIn,
)

router = APIRouter(prefix="/v1/admin/tools", tags=["admin"])


@router.get("", responses=responses(401, 403))
async def list_tool_definitions(admin: AdminDep, services: ServicesDep) -> ToolDefinitionListOut:
    views = await services.tools.list_definitions(admin)
    return ToolDefinitionListOut(items=[ToolDefinitionOut.of(view) for view in views])


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(401, 403, 409, 422))
async def create_tool_definition(
    body: ToolDefinitionIn, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> ToolDefinitionOut:
    view = await services.tools.create_definition(admin, body.fields(), body.secret_headers, client)
    return ToolDefinitionOut.of(view)


@router.get("/{name}", responses=responses(401, 403, 404))
async def get_tool_definition(
    name: str, admin: AdminDep, services: ServicesDep
) -> ToolDefinitionOut:
    return ToolDefinitionOut.of(await services.tools.get_definition(admin, name))


@router.patch("/{name}", responses=responses(401, 403, 404, 422))
async def update_tool_definition(
    name: str,
    body: ToolDefinitionPatchIn,
    admin: AdminDep,
    services: ServicesDep,
    client: ClientDep,
) -> ToolDefinitionOut:
    update = services.tools.update_definition
    if "secret_headers" in body.model_fields_set:
        view = await update(admin, name, body.changes(), client, body.secret_headers)
    else:
        view = await update(admin, name, body.changes(), client)
    return ToolDefinitionOut.of(view)


@router.delete(
    "/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404, 409)
)
async def delete_tool_definition(
    name: str, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> Response:
    await services.tools.delete_definition(admin, name, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
