"""Tools: built-in, webhook and MCP runners, their admin CRUD, and the loop that lets a
model call them during a chat turn."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from parley.adapters.security.secret_box import FernetSecretBox
from parley.adapters.tools.builtin.calculator import CalculatorTool
from parley.adapters.tools.builtin.current_time import CurrentTimeTool
from parley.adapters.tools.builtin.search_conversations import SearchConversationsTool
from parley.adapters.tools.mcp_servers import SdkMcpServers
from parley.adapters.tools.outbound import OutboundGuard
from parley.adapters.tools.schema_validator import JsonSchemaArgumentValidator
from parley.application.chat.tool_loop import ToolLoop
from parley.application.conversations.conversations import ListConversations
from parley.application.ports.tools import BuiltinTool, ToolContext, ToolRunner
from parley.application.services import ToolServices
from parley.application.tools.admin import (
    CreateToolDefinition,
    DeleteToolDefinition,
    UpdateToolDefinition,
)
from parley.application.tools.queries import GetToolDefinition, ListToolDefinitions, ListTools
from parley.application.tools.registry import ToolRegistry
from parley.application.tools.run_tool import BuiltinRunner, RunTool
from parley.container.infrastructure import Infrastructure
from parley.container.values import comma_list
from parley.domain.tools import Tool, ToolKind, ToolResult


def tool_services(infra: Infrastructure, list_conversations: ListConversations) -> ToolServices:
    settings, uow_factory, clock = infra.settings, infra.uow_factory, infra.clock
    # Tool secrets get their own key: a token sealed for a model key cannot open here.
    box = FernetSecretBox(infra.secret, purpose="parley/tool-secrets/v1")
    guard = OutboundGuard(comma_list(settings.tools_allowed_hosts))
    mcp = SdkMcpServers(guard, box, os.environ)
    builtins: list[BuiltinTool] = [
        CalculatorTool(),
        CurrentTimeTool(clock),
        SearchConversationsTool(list_conversations),
    ]
    registry = ToolRegistry(
        uow_factory, builtins, mcp, mcp_ttl_seconds=settings.mcp_tools_cache_seconds
    )
    validator = JsonSchemaArgumentValidator()
    runners: dict[ToolKind, ToolRunner] = {
        ToolKind.BUILTIN: BuiltinRunner(registry),
        ToolKind.WEBHOOK: _BuiltOnFirstUse(lambda: _webhook_runner(guard, box)),
        ToolKind.MCP: mcp,
    }
    return ToolServices(
        list=ListTools(registry),
        invoke=RunTool(
            registry,
            runners,
            validator,
            default_timeout_seconds=settings.tool_timeout_seconds,
            max_output_chars=settings.tool_max_output_chars,
        ),
        list_definitions=ListToolDefinitions(registry),
        get_definition=GetToolDefinition(registry),
        create_definition=CreateToolDefinition(uow_factory, registry, box, validator, clock),
        update_definition=UpdateToolDefinition(uow_factory, registry, box, validator, clock),
        delete_definition=DeleteToolDefinition(uow_factory, registry, box, validator, clock),
    )


def _webhook_runner(guard: OutboundGuard, box: FernetSecretBox) -> ToolRunner:
    # Imported here: webhook tools are the only ones that need aiohttp (~7.5 MiB resident).
    from parley.adapters.tools.guarded_http import GuardedHttp
    from parley.adapters.tools.webhook import WebhookToolRunner

    return WebhookToolRunner(GuardedHttp(guard), box, os.environ)


class _BuiltOnFirstUse:
    """A tool runner built when a tool of its kind first runs."""

    def __init__(self, build: Callable[[], ToolRunner]) -> None:
        self._build = build
        self._runner: ToolRunner | None = None

    async def run(
        self, tool: Tool, arguments: Mapping[str, Any], context: ToolContext
    ) -> ToolResult:
        if self._runner is None:
            self._runner = self._build()
        return await self._runner.run(tool, arguments, context)


def tool_loop(infra: Infrastructure, tools: ToolServices) -> ToolLoop:
    return ToolLoop(
        tools.invoke.registry,
        tools.invoke,
        infra.uow_factory,
        infra.clock,
        max_steps=infra.settings.tool_max_steps,
    )
