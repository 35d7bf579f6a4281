"""Ports for tools: where definitions are stored, how each kind runs, and how arguments are
checked against a tool's JSON Schema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from parley.domain.identity import Principal
from parley.domain.tools import Tool, ToolDefinition, ToolResult


class ToolDefinitionRepository(Protocol):
    async def add(self, definition: ToolDefinition) -> None:
        """Raises `ToolNameTaken` when another definition already has the name."""
        ...

    async def get_by_name(self, name: str) -> ToolDefinition | None: ...

    async def list_all(self) -> Sequence[ToolDefinition]:
        """Every definition, enabled or not, ordered by name."""
        ...

    async def update(self, definition: ToolDefinition) -> None:
        """Persist every field but `id`, `name`, `kind` and `created_at`."""
        ...

    async def delete(self, definition_id: UUID) -> None: ...


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who a tool runs for: it acts with this caller's rights and no more."""

    principal: Principal


class ToolRunner(Protocol):
    """Runs tools of one kind. Returns the tool's answer, an `is_error` result for a failure
    the model should see (refused address, upstream error, bad status); never raises for
    those. Cancellation propagates."""

    async def run(
        self, tool: Tool, arguments: Mapping[str, Any], context: ToolContext
    ) -> ToolResult: ...


@dataclass(frozen=True, slots=True)
class RemoteTool:
    name: str
    description: str
    parameters: Mapping[str, Any]


class McpToolLister(Protocol):
    async def list_tools(self, server: ToolDefinition) -> Sequence[RemoteTool]:
        """The tools `server` offers now. Raises `ServiceUnavailable` when it cannot be
        reached (or its address is refused)."""
        ...


class BuiltinTool(Protocol):
    """A tool that lives in code. `spec` is its name, description and parameter schema."""

    @property
    def spec(self) -> Tool: ...

    async def run(self, arguments: Mapping[str, Any], context: ToolContext) -> ToolResult: ...


class ArgumentValidator(Protocol):
    def problems(self, schema: Mapping[str, Any], arguments: Any) -> list[str]:
        """What is wrong with `arguments` under `schema` (empty when they conform)."""
        ...

    def schema_problems(self, schema: Mapping[str, Any]) -> list[str]:
        """What is wrong with `schema` itself as a JSON Schema object."""
        ...
