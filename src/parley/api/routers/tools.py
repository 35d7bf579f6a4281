"""`/v1/tools`: the tools the caller may use, and running one directly."""

from __future__ import annotations

from fastapi import APIRouter

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.tools import InvokeIn, InvokeOut, ToolListOut, ToolOut

router = APIRouter(prefix="/v1/tools", tags=["tools"])


@router.get("", responses=responses(401))
async def list_tools(principal: PrincipalDep, services: ServicesDep) -> ToolListOut:
    tools = await services.tools.list(principal)
    return ToolListOut(items=[ToolOut.of(tool) for tool in tools])


@router.post("/{name}/invoke", responses=responses(401, 404, 422))
async def invoke_tool(
    name: str, body: InvokeIn, principal: PrincipalDep, services: ServicesDep
) -> InvokeOut:
    """Runs the tool as the caller, with the same checks as in a chat. A tool that ran but
    failed (timeout, refused address, upstream error) answers 200 with `is_error: true`."""
    result = await services.tools.invoke(principal, name, body.arguments)
    return InvokeOut.of(name, result)
