"""MCP servers over Streamable HTTP, through the official `mcp` SDK, behind the outbound
guard: the URL's host is vetted before connecting, and every connection the SDK's HTTP
client opens (redirects included) goes through a network backend that vets and pins it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from parley.adapters.tools.outbound import OutboundGuard
from parley.adapters.tools.webhook import USER_HEADER, definition_headers
from parley.application.ports.secrets import SecretBox
from parley.application.ports.tools import RemoteTool, ToolContext
from parley.domain.errors import OutboundAddressRefused, ServiceUnavailable
from parley.domain.tools import Tool, ToolDefinition, ToolResult

if TYPE_CHECKING:
    # The MCP SDK (~13 MB resident) is imported when a server is first called, so that a
    # worker whose admins define no MCP tools never carries it.
    from mcp import ClientSession
    from mcp.types import CallToolResult


def _refusal(error: BaseException) -> OutboundAddressRefused | None:
    if isinstance(error, OutboundAddressRefused):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = _refusal(inner)
            if found:
                return found
    cause = error.__cause__ or error.__context__
    return _refusal(cause) if cause is not None and cause is not error else None


def result_text(result: CallToolResult) -> str:
    from mcp.types import TextContent

    parts: list[str] = []
    for item in result.content:
        if isinstance(item, TextContent):
            parts.append(item.text)
        else:
            parts.append(f"[{item.type} content]")
    if not parts and result.structuredContent is not None:
        parts.append(json.dumps(result.structuredContent))
    return "\n".join(parts)


class SdkMcpServers:
    """Lists and calls an MCP server's tools; one short session per operation (servers may
    be stateless, replicas share nothing)."""

    def __init__(self, guard: OutboundGuard, box: SecretBox, environ: Mapping[str, str]) -> None:
        self._guard = guard
        self._box = box
        self._environ = environ

    async def list_tools(self, server: ToolDefinition) -> Sequence[RemoteTool]:
        try:
            async with asyncio.timeout(server.timeout_seconds):
                async with self._session(server, {}) as session:
                    listed = await session.list_tools()
        except Exception as error:
            refusal = _refusal(error)
            detail = refusal.detail if refusal else type(error).__name__
            raise ServiceUnavailable(f"MCP server {server.name}: {detail}") from error
        return [
            RemoteTool(tool.name, tool.description or "", dict(tool.inputSchema))
            for tool in listed.tools
        ]

    async def run(
        self, tool: Tool, arguments: Mapping[str, Any], context: ToolContext
    ) -> ToolResult:
        server = tool.source
        if server is None or tool.remote_name is None:
            return ToolResult(f"The tool {tool.name} has no server.", True)
        extra = {USER_HEADER: str(context.principal.user_id)}
        try:
            async with self._session(server, extra) as session:
                result = await session.call_tool(tool.remote_name, dict(arguments))
        except Exception as error:
            refusal = _refusal(error)
            if refusal is not None:
                return ToolResult(f"Refused: {refusal.detail}", True)
            return ToolResult(
                f"The MCP server {server.name} failed ({type(error).__name__}).", True
            )
        return ToolResult(result_text(result), bool(result.isError))

    @contextlib.asynccontextmanager
    async def _session(
        self, server: ToolDefinition, extra: Mapping[str, str]
    ) -> AsyncIterator[ClientSession]:
        url = server.url or ""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise OutboundAddressRefused("Only http and https URLs can be called.")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        # Fail fast with a clear reason; the network backend re-checks every connection.
        await self._guard.vet(parts.hostname, port, server.allowed_hosts)
        headers, problem = definition_headers(server, self._box, self._environ)
        if problem:
            raise ServiceUnavailable(problem)
        from parley.adapters.tools.mcp_transport import guarded_client

        http_client = guarded_client(
            self._guard, server.allowed_hosts, {**headers, **extra}, server.timeout_seconds
        )
        from mcp import ClientSession
        from mcp.client.streamable_http import streamable_http_client

        async with (
            http_client,
            streamable_http_client(url, http_client=http_client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session
