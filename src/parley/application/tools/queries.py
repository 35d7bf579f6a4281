"""Reading tools: what a caller may use, and the admin's view of every definition."""

from __future__ import annotations

from dataclasses import dataclass

from parley.application.models.queries import require_admin
from parley.application.tools.registry import ToolRegistry, builtin_tool, webhook_tool
from parley.domain.errors import NotFound
from parley.domain.identity import Principal
from parley.domain.tools import Tool, ToolDefinition, ToolKind


class ListTools:
    """The enabled tools the caller's tier may use, by name (MCP servers' tools included)."""

    def __init__(self, registry: ToolRegistry) -> None:
        self._registry = registry

    async def __call__(self, principal: Principal) -> list[Tool]:
        return await self._registry.available_to(principal)


@dataclass(frozen=True, slots=True)
class AdminToolView:
    """One entry of `/v1/admin/tools`: a built-in (with its override, if any), a webhook,
    or an MCP server (`tool` is then None: its tools are listed by `/v1/tools`)."""

    name: str
    kind: ToolKind
    definition: ToolDefinition | None
    tool: Tool | None


class ListToolDefinitions:
    """Built-ins and every stored definition, by name. Raises `PermissionDenied`."""

    def __init__(self, registry: ToolRegistry) -> None:
        self._registry = registry

    async def __call__(self, principal: Principal) -> list[AdminToolView]:
        require_admin(principal)
        definitions = {d.name: d for d in await self._registry.definitions()}
        views = [
            _view(definitions.get(name), self._registry, name)
            for name in self._registry.builtin_names
        ]
        views += [
            _view(definition, self._registry, name)
            for name, definition in definitions.items()
            if definition.kind is not ToolKind.BUILTIN
        ]
        return sorted(views, key=lambda view: view.name)


class GetToolDefinition:
    """One entry by name. Raises `PermissionDenied` or `NotFound`."""

    def __init__(self, registry: ToolRegistry) -> None:
        self._registry = registry

    async def __call__(self, principal: Principal, name: str) -> AdminToolView:
        require_admin(principal)
        definitions = {d.name: d for d in await self._registry.definitions()}
        if name not in definitions and name not in self._registry.builtin_names:
            raise NotFound("No such tool.")
        return _view(definitions.get(name), self._registry, name)


def _view(definition: ToolDefinition | None, registry: ToolRegistry, name: str) -> AdminToolView:
    builtin = registry.builtin(name)
    if builtin is not None:
        return AdminToolView(name, ToolKind.BUILTIN, definition, builtin_tool(builtin, definition))
    assert definition is not None  # callers pass a definition for every non-built-in name
    tool = webhook_tool(definition) if definition.kind is ToolKind.WEBHOOK else None
    return AdminToolView(name, definition.kind, definition, tool)
