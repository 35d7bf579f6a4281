"""The `current_time` tool: now, in UTC or a named IANA time zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parley.application.ports.clock import Clock
from parley.application.ports.tools import ToolContext
from parley.domain.tools import Tool, ToolKind, ToolResult


class CurrentTimeTool:
    spec = Tool(
        name="current_time",
        description="The current date and time (ISO 8601), in UTC or the given IANA time zone.",
        parameters={
            "type": "object",
            "properties": {
                "timezone": {
                    "type": "string",
                    "description": "An IANA time zone such as Europe/Paris; UTC by default.",
                    "maxLength": 64,
                }
            },
            "additionalProperties": False,
        },
        kind=ToolKind.BUILTIN,
    )

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def run(self, arguments: Mapping[str, Any], context: ToolContext) -> ToolResult:
        now = self._clock.now()
        name = arguments.get("timezone")
        if name:
            try:
                now = now.astimezone(ZoneInfo(str(name)))
            except (ZoneInfoNotFoundError, ValueError):
                return ToolResult(f"Unknown time zone {name!r}.", is_error=True)
        return ToolResult(now.isoformat())
