"""Bodies of the tool routes. Secret headers go in (`secret_headers`, write-only) and never
come out: responses carry only `has_secret_headers` and the names of environment variables."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from parley.api.schemas.identity import Input
from parley.application.tools.fields import ToolFields
from parley.application.tools.queries import AdminToolView
from parley.domain.tools import Tool as DomainTool
from parley.domain.tools import ToolKind, ToolResult
from parley.domain.users import Tier

Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
HeaderMap = Annotated[
    dict[str, Annotated[str, StringConstraints(max_length=4000)]], Field(max_length=50)
]
Hosts = Annotated[list[Annotated[str, StringConstraints(max_length=253)]], Field(max_length=50)]
Seconds = Annotated[float, Field(gt=0, le=300)]
Bytes = Annotated[int, Field(gt=0, le=10 * 1024 * 1024)]


class ToolOut(BaseModel):
    name: str
    description: str
    parameters: dict[str, Any]
    kind: ToolKind

    @classmethod
    def of(cls, tool: DomainTool) -> ToolOut:
        return cls(
            name=tool.name,
            description=tool.description,
            parameters=dict(tool.parameters),
            kind=tool.kind,
        )


class ToolListOut(BaseModel):
    items: list[ToolOut]


class InvokeIn(Input):
    arguments: dict[str, Any] = Field(default_factory=dict)


class InvokeOut(BaseModel):
    name: str
    content: str
    is_error: bool

    @classmethod
    def of(cls, name: str, result: ToolResult) -> InvokeOut:
        return cls(name=name, content=result.content, is_error=result.is_error)


class ToolDefinitionIn(Input):
    name: Name
    kind: ToolKind
    description: Description = ""
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the arguments (webhooks; MCP tools bring their own).",
    )
    tiers: list[Tier] = Field(default_factory=lambda: list(Tier))
    enabled: bool = True
    url: Url | None = None
    method: Annotated[str, StringConstraints(max_length=10)] = "POST"
    headers: HeaderMap = Field(default_factory=dict, description="Plain, non-secret headers.")
    header_envs: HeaderMap = Field(
        default_factory=dict, description="Header name → environment variable with its value."
    )
    secret_headers: HeaderMap | None = Field(
        default=None, description="Header name → value, stored encrypted; never returned."
    )
    timeout_seconds: Seconds = 30.0
    max_response_bytes: Bytes = 64 * 1024
    allowed_hosts: Hosts = Field(
        default_factory=list,
        description="Hosts this tool may reach even on private or loopback addresses.",
    )

    def fields(self) -> ToolFields:
        return ToolFields(
            name=self.name,
            kind=self.kind,
            description=self.description,
            parameters=self.parameters,
            tiers=tuple(self.tiers),
            enabled=self.enabled,
            url=self.url,
            method=self.method.upper(),
            headers=self.headers,
            header_envs=self.header_envs,
            timeout_seconds=self.timeout_seconds,
            max_response_bytes=self.max_response_bytes,
            allowed_hosts=tuple(self.allowed_hosts),
        )


class ToolDefinitionPatchIn(Input):
    """Only the fields sent are changed; `secret_headers: null` removes stored secrets.
    `name` and `kind` cannot change; unknown fields are ignored. For a built-in tool only
    `tiers` and `enabled` apply."""

    description: Description | None = None
    parameters: dict[str, Any] | None = None
    tiers: list[Tier] | None = None
    enabled: bool | None = None
    url: Url | None = None
    method: Annotated[str, StringConstraints(max_length=10)] | None = None
    headers: HeaderMap | None = None
    header_envs: HeaderMap | None = None
    secret_headers: HeaderMap | None = None
    timeout_seconds: Seconds | None = None
    max_response_bytes: Bytes | None = None
    allowed_hosts: Hosts | None = None

    def changes(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in self.model_fields_set - {"secret_headers"}
            if getattr(self, name) is not None
        }


class ToolDefinitionOut(BaseModel):
    name: str
    kind: ToolKind
    description: str
    parameters: dict[str, Any] | None
    tiers: list[Tier]
    enabled: bool
    url: str | None = None
    method: str | None = None
    headers: dict[str, str] | None = None
    header_envs: dict[str, str] | None = None
    has_secret_headers: bool = False
    timeout_seconds: float | None = None
    max_response_bytes: int | None = None
    allowed_hosts: list[str] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, view: AdminToolView) -> ToolDefinitionOut:
        definition, tool = view.definition, view.tool
        if view.kind is ToolKind.BUILTIN and tool is not None:
            return cls(
                name=view.name,
                kind=view.kind,
                description=tool.description,
                parameters=dict(tool.parameters),
                tiers=list(tool.tiers),
                enabled=tool.enabled,
                created_at=definition.created_at if definition else None,
                updated_at=definition.updated_at if definition else None,
            )
        assert definition is not None  # every non-built-in entry is a stored definition
        return cls(
            name=definition.name,
            kind=definition.kind,
            description=definition.description,
            parameters=dict(definition.parameters) if view.kind is ToolKind.WEBHOOK else None,
            tiers=list(definition.tiers),
            enabled=definition.enabled,
            url=definition.url,
            method=definition.method if view.kind is ToolKind.WEBHOOK else None,
            headers=dict(definition.headers),
            header_envs=dict(definition.header_envs),
            has_secret_headers=definition.has_secret_headers,
            timeout_seconds=definition.timeout_seconds,
            max_response_bytes=definition.max_response_bytes,
            allowed_hosts=list(definition.allowed_hosts),
            created_at=definition.created_at,
            updated_at=definition.updated_at,
        )


class ToolDefinitionListOut(BaseModel):
    items: list[ToolDefinitionOut]
