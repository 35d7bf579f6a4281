"""Tools the model (or a caller directly) may run: built in, admin-defined webhooks, and the
tools of admin-registered MCP servers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from parley.domain.users import Tier

TOOL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What OpenAI-compatible providers accept as a function name; every offered tool obeys it."""

DEFINITION_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9-]*(?:_[A-Za-z0-9-]+)*$")
"""An admin-defined tool or MCP server name: no "__", which separates an MCP server's name
from its tools' names (`<server>__<tool>`)."""

MAX_DEFINITION_NAME_LENGTH = 40
MCP_SEPARATOR = "__"
ALL_TIERS: tuple[Tier, ...] = (Tier.FREE, Tier.PRO, Tier.ENTERPRISE)
WEBHOOK_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


class ToolKind(StrEnum):
    BUILTIN = "builtin"
    WEBHOOK = "webhook"
    MCP = "mcp"


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool said: text for the model. `is_error` results are still shown to it."""

    content: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Tool:
    """A runnable tool as the registry offers it. `source` is the stored definition it comes
    from (None for a built-in without an admin override); for an MCP tool, `remote_name` is
    the tool's name on its server."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    kind: ToolKind
    tiers: tuple[Tier, ...] = ALL_TIERS
    enabled: bool = True
    source: ToolDefinition | None = None
    remote_name: str | None = None

    def allows(self, tier: Tier) -> bool:
        return self.enabled and tier in self.tiers


@dataclass(slots=True)
class ToolDefinition:
    """An admin's stored tool: a webhook, an MCP server (whose tools it offers), or the
    availability override of a built-in (only `tiers` and `enabled` apply then).

    `secret_headers_encrypted` is a sealed JSON object of header → value; `header_envs`
    names environment variables whose values become headers. Neither is ever shown."""

    id: UUID
    name: str
    kind: ToolKind
    description: str
    parameters: dict[str, Any]
    tiers: list[Tier]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    url: str | None = None
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    header_envs: dict[str, str] = field(default_factory=dict)
    secret_headers_encrypted: str | None = None
    timeout_seconds: float = 30.0
    max_response_bytes: int = 64 * 1024
    allowed_hosts: list[str] = field(default_factory=list)

    @property
    def has_secret_headers(self) -> bool:
        return self.secret_headers_encrypted is not None or bool(self.header_envs)
