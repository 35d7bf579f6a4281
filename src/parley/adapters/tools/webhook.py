"""Webhook tools: an admin-defined HTTP endpoint called with the model's arguments."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from parley.application.ports.secrets import SecretBox
from parley.application.ports.tools import ToolContext
from parley.domain.errors import OutboundAddressRefused
from parley.domain.tools import Tool, ToolDefinition, ToolResult

if TYPE_CHECKING:
    from parley.adapters.tools.guarded_http import GuardedHttp

USER_HEADER = "X-Parley-User-Id"


class WebhookToolRunner:
    """POST/PUT/PATCH send the arguments as a JSON body; GET/DELETE as query parameters.
    The caller's user id goes along in `X-Parley-User-Id` (the webhook acts for that user
    and no one else). The response body, capped at the definition's `max_response_bytes`, is
    the result; a non-2xx status makes it an error result."""

    def __init__(self, http: GuardedHttp, box: SecretBox, environ: Mapping[str, str]) -> None:
        self._http = http
        self._box = box
        self._environ = environ

    async def run(
        self, tool: Tool, arguments: Mapping[str, Any], context: ToolContext
    ) -> ToolResult:
        import aiohttp  # here, not at start-up: only webhook tools need it (~7.5 MiB)

        definition = tool.source
        if definition is None or definition.url is None:
            return ToolResult(f"The tool {tool.name} has no URL.", True)
        headers, problem = definition_headers(definition, self._box, self._environ)
        if problem:
            return ToolResult(problem, True)
        headers[USER_HEADER] = str(context.principal.user_id)
        in_body = definition.method in {"POST", "PUT", "PATCH"}
        try:
            fetched = await self._http.request(
                definition.method,
                definition.url,
                headers=headers,
                json_body=dict(arguments) if in_body else None,
                params=None if in_body else _query(arguments),
                timeout_seconds=definition.timeout_seconds,
                max_bytes=definition.max_response_bytes,
                allowed_hosts=definition.allowed_hosts,
            )
        except OutboundAddressRefused as error:
            return ToolResult(f"Refused: {error.detail}", True)
        except (aiohttp.ClientError, OSError) as error:
            return ToolResult(
                f"The tool {tool.name} could not be reached ({type(error).__name__}).", True
            )
        text = fetched.body.decode("utf-8", errors="replace")
        if fetched.truncated:
            text += f"\n[response truncated at {definition.max_response_bytes} bytes]"
        if not 200 <= fetched.status < 300:
            return ToolResult(f"HTTP {fetched.status}: {text}", True)
        return ToolResult(text)


def definition_headers(
    definition: ToolDefinition, box: SecretBox, environ: Mapping[str, str]
) -> tuple[dict[str, str], str | None]:
    """The headers a definition sends: plain ones, environment-named secrets and sealed
    secrets; or an error text when a secret cannot be had."""
    headers = dict(definition.headers)
    for header, env in definition.header_envs.items():
        value = environ.get(env, "").strip()
        if not value:
            return {}, f"The tool {definition.name} needs the environment variable {env}."
        headers[header] = value
    if definition.secret_headers_encrypted is not None:
        opened = box.open(definition.secret_headers_encrypted)
        if opened is None:
            return {}, f"The stored secrets of {definition.name} cannot be read."
        headers.update(json.loads(opened))
    return headers, None


def _query(arguments: Mapping[str, Any]) -> dict[str, str]:
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in arguments.items()
    }
