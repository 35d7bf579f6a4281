"""Running one tool for a caller: `POST /v1/tools/{name}/invoke` and the chat tool loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from parley.application.ports.tools import ArgumentValidator, ToolContext, ToolRunner
from parley.application.tools.registry import ToolRegistry
from parley.domain.errors import FieldError, NotFound, ParleyError, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.tools import Tool, ToolKind, ToolResult

log = logging.getLogger("parley.tools")

TRUNCATION_NOTE = "\n[output truncated]"


class RunTool:
    """Runs the tool `name` with `arguments` as the caller, with no more rights than theirs.

    Raises `NotFound` when the caller may not use the tool (unknown, disabled, other tier)
    and `ValidationFailed` when `arguments` break its JSON Schema; nothing runs then. Once
    the tool runs, failures come back as `is_error` results: a timeout (the definition's
    `timeout_seconds`, else `default_timeout_seconds`), a refused address, an upstream
    error. Output longer than `max_output_chars` is cut with a note."""

    def __init__(
        self,
        registry: ToolRegistry,
        runners: Mapping[ToolKind, ToolRunner],
        validator: ArgumentValidator,
        *,
        default_timeout_seconds: float = 30.0,
        max_output_chars: int = 20_000,
    ) -> None:
        self._registry = registry
        self._runners = runners
        self._validator = validator
        self._timeout = default_timeout_seconds
        self._max_chars = max_output_chars

    @property
    def registry(self) -> ToolRegistry:
        return self._registry

    async def __call__(self, principal: Principal, name: str, arguments: Any) -> ToolResult:
        tool = await self._registry.find(principal, name)
        if tool is None:
            raise NotFound(f"No tool named {name!r} is available to you.")
        if not isinstance(arguments, Mapping):
            raise ValidationFailed(
                [FieldError(("body", "arguments"), "arguments must be a JSON object.")],
                "Tool arguments must be a JSON object.",
            )
        problems = self._validator.problems(tool.parameters, arguments)
        if problems:
            errors = [FieldError(("body", "arguments"), problem) for problem in problems]
            raise ValidationFailed(errors, f"Invalid arguments for {name}: {problems[0]}")
        timeout = tool.source.timeout_seconds if tool.source is not None else self._timeout
        if tool.kind is ToolKind.BUILTIN:
            timeout = self._timeout
        runner = self._runners[tool.kind]
        try:
            result = await asyncio.wait_for(
                runner.run(tool, arguments, ToolContext(principal)), timeout
            )
        except TimeoutError:
            return ToolResult(f"The tool {name} did not answer within {timeout:g} s.", True)
        except ParleyError as error:
            return ToolResult(error.detail or f"The tool {name} failed.", True)
        except Exception:
            log.exception("tool_failed name=%s", name)
            return ToolResult(f"The tool {name} failed.", True)
        if len(result.content) > self._max_chars:
            cut = result.content[: self._max_chars] + TRUNCATION_NOTE
            return ToolResult(cut, result.is_error)
        return result


class BuiltinRunner:
    """Runs built-in tools: the registry knows them by name."""

    def __init__(self, registry: ToolRegistry) -> None:
        self._registry = registry

    async def run(
        self, tool: Tool, arguments: Mapping[str, Any], context: ToolContext
    ) -> ToolResult:
        builtin = self._registry.builtin(tool.name)
        if builtin is None:
            return ToolResult(f"No built-in tool named {tool.name}.", True)
        return await builtin.run(arguments, context)
