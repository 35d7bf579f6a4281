"""The fields an admin sets on a tool definition, and the rules they must follow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from parley.application.ports.tools import ArgumentValidator
from parley.domain.errors import FieldError
from parley.domain.tools import (
    ALL_TIERS,
    DEFINITION_NAME_PATTERN,
    MAX_DEFINITION_NAME_LENGTH,
    WEBHOOK_METHODS,
    ToolDefinition,
    ToolKind,
)
from parley.domain.users import Tier

HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
MAX_TIMEOUT_SECONDS = 300.0
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
EMPTY_OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}

PATCHABLE_FIELDS = frozenset(
    {
        "description",
        "parameters",
        "tiers",
        "enabled",
        "url",
        "method",
        "headers",
        "header_envs",
        "timeout_seconds",
        "max_response_bytes",
        "allowed_hosts",
    }
)
BUILTIN_PATCHABLE_FIELDS = frozenset({"tiers", "enabled"})


@dataclass(frozen=True, slots=True)
class ToolFields:
    name: str
    kind: ToolKind
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: dict(EMPTY_OBJECT_SCHEMA))
    tiers: tuple[Tier, ...] = ALL_TIERS
    enabled: bool = True
    url: str | None = None
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    header_envs: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 30.0
    max_response_bytes: int = 64 * 1024
    allowed_hosts: tuple[str, ...] = ()


def fields_of(definition: ToolDefinition) -> ToolFields:
    return ToolFields(
        name=definition.name,
        kind=definition.kind,
        description=definition.description,
        parameters=definition.parameters,
        tiers=tuple(definition.tiers),
        enabled=definition.enabled,
        url=definition.url,
        method=definition.method,
        headers=definition.headers,
        header_envs=definition.header_envs,
        timeout_seconds=definition.timeout_seconds,
        max_response_bytes=definition.max_response_bytes,
        allowed_hosts=tuple(definition.allowed_hosts),
    )


def apply_fields(definition: ToolDefinition, fields: ToolFields) -> None:
    definition.description = fields.description
    definition.parameters = dict(fields.parameters)
    definition.tiers = list(dict.fromkeys(fields.tiers))
    definition.enabled = fields.enabled
    definition.url = fields.url
    definition.method = fields.method.upper()
    definition.headers = dict(fields.headers)
    definition.header_envs = dict(fields.header_envs)
    definition.timeout_seconds = fields.timeout_seconds
    definition.max_response_bytes = fields.max_response_bytes
    definition.allowed_hosts = [host.strip().lower() for host in fields.allowed_hosts]


def field_errors(
    fields: ToolFields, builtin_names: frozenset[str], validator: ArgumentValidator
) -> list[FieldError]:
    """Every rule `fields` break (empty when none)."""
    errors: list[FieldError] = []

    def fail(name: str, message: str) -> None:
        errors.append(FieldError(("body", name), message))

    if fields.kind is ToolKind.BUILTIN:
        if fields.name not in builtin_names:
            fail("kind", "Built-in tools live in code; define a webhook or an MCP server.")
        return errors
    if not DEFINITION_NAME_PATTERN.match(fields.name) or len(fields.name) > (
        MAX_DEFINITION_NAME_LENGTH
    ):
        fail(
            "name",
            "A name starts with a letter, has letters, digits, '-' and single '_', and is at "
            f"most {MAX_DEFINITION_NAME_LENGTH} characters.",
        )
    if fields.name in builtin_names:
        fail("name", f"{fields.name!r} is a built-in tool.")
    errors += _url_errors(fields.url)
    if fields.kind is ToolKind.WEBHOOK:
        if fields.method.upper() not in WEBHOOK_METHODS:
            fail("method", f"method must be one of {', '.join(sorted(WEBHOOK_METHODS))}.")
        if fields.parameters.get("type") != "object":
            fail("parameters", 'parameters must be a JSON Schema with "type": "object".')
        else:
            errors += [
                FieldError(("body", "parameters"), problem)
                for problem in validator.schema_problems(fields.parameters)
            ]
    return errors + _limit_and_header_errors(fields)


def _limit_and_header_errors(fields: ToolFields) -> list[FieldError]:
    errors: list[FieldError] = []

    def fail(name: str, message: str) -> None:
        errors.append(FieldError(("body", name), message))

    if not 0 < fields.timeout_seconds <= MAX_TIMEOUT_SECONDS:
        fail("timeout_seconds", f"timeout_seconds must be in (0, {MAX_TIMEOUT_SECONDS:g}].")
    if not 0 < fields.max_response_bytes <= MAX_RESPONSE_BYTES:
        fail("max_response_bytes", f"max_response_bytes must be in (0, {MAX_RESPONSE_BYTES}].")
    for header in [*fields.headers, *fields.header_envs]:
        if not HEADER_NAME.match(header):
            fail("headers", f"{header!r} is not a valid header name.")
    for env in fields.header_envs.values():
        if not ENV_NAME.match(env):
            fail("header_envs", f"{env!r} is not an environment variable name.")
    for host in fields.allowed_hosts:
        if not host.strip() or "/" in host or " " in host.strip():
            fail("allowed_hosts", f"{host!r} is not a host name or address.")
    return errors


def secret_header_errors(secret_headers: Mapping[str, str] | None) -> list[FieldError]:
    return [
        FieldError(("body", "secret_headers"), f"{header!r} is not a valid header name.")
        for header in secret_headers or {}
        if not HEADER_NAME.match(header)
    ]


def _url_errors(url: str | None) -> list[FieldError]:
    if not url:
        return [FieldError(("body", "url"), "url is required.")]
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [FieldError(("body", "url"), "url must be an absolute http(s) URL.")]
    if parts.username or parts.password:
        return [FieldError(("body", "url"), "Put credentials in headers, not in the url.")]
    return []
