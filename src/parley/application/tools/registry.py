"""The tool registry: built-ins from code, webhooks and MCP servers from admin definitions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parley.application.ports.tools import BuiltinTool, McpToolLister, RemoteTool
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import ParleyError
from parley.domain.identity import Principal
from parley.domain.tools import (
    MCP_SEPARATOR,
    TOOL_NAME_PATTERN,
    Tool,
    ToolDefinition,
    ToolKind,
)

log = logging.getLogger("parley.tools")


@dataclass(frozen=True, slots=True)
class _Listing:
    version: object
    tools: Sequence[RemoteTool]
    at: float


def builtin_tool(builtin: BuiltinTool, override: ToolDefinition | None) -> Tool:
    """A built-in as offered: its own spec, with an admin override's tiers and switch."""
    spec = builtin.spec
    if override is None:
        return spec
    return Tool(
        name=spec.name,
        description=spec.description,
        parameters=spec.parameters,
        kind=ToolKind.BUILTIN,
        tiers=tuple(override.tiers),
        enabled=override.enabled,
        source=override,
    )


def webhook_tool(definition: ToolDefinition) -> Tool:
    return Tool(
        name=definition.name,
        description=definition.description,
        parameters=definition.parameters,
        kind=ToolKind.WEBHOOK,
        tiers=tuple(definition.tiers),
        enabled=definition.enabled,
        source=definition,
    )


def mcp_tool(server: ToolDefinition, remote: RemoteTool) -> Tool | None:
    """An MCP server's tool, named `<server>__<tool>`; None when that name would not be a
    valid tool name for providers (too long, odd characters)."""
    name = f"{server.name}{MCP_SEPARATOR}{remote.name}"
    if not TOOL_NAME_PATTERN.match(name):
        return None
    return Tool(
        name=name,
        description=remote.description or server.description,
        parameters=remote.parameters,
        kind=ToolKind.MCP,
        tiers=tuple(server.tiers),
        enabled=server.enabled,
        source=server,
        remote_name=remote.name,
    )


class ToolRegistry:
    """Every tool and who may use it. Definitions are read from storage on each call (so
    every replica sees an admin's change at once); an MCP server's tool list is cached for
    `mcp_ttl_seconds` and refetched when its definition changes. A server that cannot be
    reached contributes no tools (logged), it does not fail the listing."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        builtins: Sequence[BuiltinTool],
        mcp: McpToolLister,
        *,
        mcp_ttl_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self._builtins = {builtin.spec.name: builtin for builtin in builtins}
        self._mcp = mcp
        self._ttl = mcp_ttl_seconds
        self._monotonic = monotonic
        self._listings: dict[str, _Listing] = {}

    def builtin(self, name: str) -> BuiltinTool | None:
        return self._builtins.get(name)

    @property
    def builtin_names(self) -> frozenset[str]:
        return frozenset(self._builtins)

    async def definitions(self) -> Sequence[ToolDefinition]:
        async with self._uow_factory() as uow:
            return await uow.tools.list_all()

    async def all(self) -> list[Tool]:
        """Every tool, enabled or not, by name."""
        definitions = await self.definitions()
        overrides = {d.name: d for d in definitions if d.kind is ToolKind.BUILTIN}
        tools = [builtin_tool(b, overrides.get(name)) for name, b in self._builtins.items()]
        for definition in definitions:
            if definition.kind is ToolKind.WEBHOOK:
                tools.append(webhook_tool(definition))
            elif definition.kind is ToolKind.MCP and definition.enabled:
                tools.extend(await self._mcp_tools(definition))
        return sorted(tools, key=lambda tool: tool.name)

    async def available_to(self, principal: Principal) -> list[Tool]:
        """The enabled tools the caller's tier may use, by name."""
        return [tool for tool in await self.all() if tool.allows(principal.tier)]

    async def find(self, principal: Principal, name: str) -> Tool | None:
        """The tool `name` if the caller may use it now; None otherwise (unknown, disabled,
        or not for the caller's tier — the caller cannot tell which)."""
        server_name, separator, _ = name.partition(MCP_SEPARATOR)
        async with self._uow_factory() as uow:
            definition = await uow.tools.get_by_name(server_name if separator else name)
        tool: Tool | None = None
        if separator:
            if definition is not None and definition.kind is ToolKind.MCP and definition.enabled:
                tool = next((t for t in await self._mcp_tools(definition) if t.name == name), None)
        elif name in self._builtins:
            tool = builtin_tool(self._builtins[name], definition)
        elif definition is not None and definition.kind is ToolKind.WEBHOOK:
            tool = webhook_tool(definition)
        return tool if tool is not None and tool.allows(principal.tier) else None

    def forget(self, server_name: str) -> None:
        """Drop a cached MCP tool list (after its server's definition changed here)."""
        self._listings.pop(server_name, None)

    async def _mcp_tools(self, server: ToolDefinition) -> list[Tool]:
        listing = self._listings.get(server.name)
        now = self._monotonic()
        if listing is None or listing.version != server.updated_at or now - listing.at > self._ttl:
            try:
                remote = await self._mcp.list_tools(server)
            except ParleyError as error:
                log.warning("mcp_list_failed server=%s detail=%s", server.name, error.detail)
                return []
            listing = _Listing(server.updated_at, remote, now)
            self._listings[server.name] = listing
        return [tool for remote in listing.tools if (tool := mcp_tool(server, remote))]
