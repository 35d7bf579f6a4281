"""`AnthropicProvider`: Anthropic's native Messages API over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley import jsonio
from parley.adapters.llm.anthropic_wire import (
    ANTHROPIC_VERSION,
    finish_reason,
    parse_completion,
    parse_usage,
    render_request,
)
from parley.adapters.llm.errors import error_code_of, error_for_stream_event
from parley.adapters.llm.http_provider import HttpChatProvider
from parley.application.ports.chat_provider import ProviderEndpoint
from parley.domain.chat import (
    ChatCompletion,
    ChatRequest,
    FinishEvent,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    UsageEvent,
)
from parley.domain.errors import ProviderStreamBroken


class AnthropicProvider(HttpChatProvider):
    """A `ChatProvider` for `POST {base_url}/v1/messages` (base_url without `/v1`).

    System messages become the top-level `system`, tool calls and results become
    `tool_use` / `tool_result` blocks, `max_tokens` defaults to 4096. Streaming yields
    text deltas, each tool call once its block closes, one `UsageEvent` (input tokens from
    `message_start`, output tokens from `message_delta`) and a `FinishEvent` whose reason
    is mapped to OpenAI's words ("stop", "length", "tool_calls"). `request.extra` is
    ignored. Raises only `ProviderError`s. `start()` / `aclose()` own the HTTP session.
    """

    def _url(self, endpoint: ProviderEndpoint) -> str:
        return _url(endpoint)

    def _headers(self, endpoint: ProviderEndpoint, *, stream: bool) -> dict[str, str]:
        return _headers(endpoint, stream=stream)

    def _render(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        return render_request(request, stream=stream)

    def _parse(self, payload: Any) -> ChatCompletion:
        return parse_completion(payload)

    def _stream_state(self) -> _StreamState:
        return _StreamState()


@dataclass(slots=True)
class _ToolBlock:
    id: str
    name: str
    arguments: str = ""


class _StreamState:
    """Folds Messages API stream events into Parley stream events."""

    def __init__(self) -> None:
        self.done = False
        self._started = False
        self._input_tokens = 0
        self._output_tokens: int | None = None
        self._stop_reason: Any = None
        self._tools: dict[int, _ToolBlock] = {}

    def on_data(self, data: str) -> list[StreamEvent]:
        try:
            payload: Any = jsonio.loads_answer(data)
        except ValueError:
            raise ProviderStreamBroken("The model provider sent a malformed event.") from None
        if not isinstance(payload, dict):
            return []
        kind = payload.get("type")
        if kind == "message_start":
            usage = (payload.get("message") or {}).get("usage") or {}
            if isinstance(usage.get("input_tokens"), int):
                self._input_tokens = usage["input_tokens"]
        elif kind == "content_block_start":
            self._on_block_start(payload.get("index", 0), payload.get("content_block") or {})
        elif kind == "content_block_delta":
            return self._on_delta(payload.get("index", 0), payload.get("delta") or {})
        elif kind == "content_block_stop":
            return self._on_block_stop(payload.get("index", 0))
        elif kind == "message_delta":
            self._stop_reason = (payload.get("delta") or {}).get("stop_reason")
            usage = parse_usage(payload.get("usage"), prompt_default=self._input_tokens)
            if usage is not None:
                self._input_tokens = usage.prompt_tokens
                self._output_tokens = usage.completion_tokens
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            raise error_for_stream_event(error_code_of(payload), started=self._started)
        return []  # ping and event types added after this adapter was written

    def _on_block_start(self, index: Any, block: Any) -> None:
        if block.get("type") == "tool_use":
            self._started = True
            self._tools[index] = _ToolBlock(
                id=str(block.get("id", "")), name=str(block.get("name", ""))
            )

    def _on_block_stop(self, index: Any) -> list[StreamEvent]:
        tool = self._tools.pop(index, None)
        if tool is None:
            return []
        return [
            ToolCallEvent(ToolCall(id=tool.id, name=tool.name, arguments=tool.arguments or "{}"))
        ]

    def _on_delta(self, index: Any, delta: Any) -> list[StreamEvent]:
        if delta.get("type") == "text_delta" and delta.get("text"):
            self._started = True
            return [TextDelta(str(delta["text"]))]
        if delta.get("type") == "input_json_delta" and index in self._tools:
            self._tools[index].arguments += str(delta.get("partial_json", ""))
        return []

    def final_events(self) -> list[StreamEvent]:
        if not self.done:
            raise ProviderStreamBroken()
        events: list[StreamEvent] = [
            ToolCallEvent(ToolCall(id=t.id, name=t.name, arguments=t.arguments or "{}"))
            for _, t in sorted(self._tools.items())  # blocks the upstream never closed
        ]
        if self._output_tokens is not None:
            usage = parse_usage(
                {"input_tokens": self._input_tokens, "output_tokens": self._output_tokens}
            )
            if usage is not None:
                events.append(UsageEvent(usage))
        events.append(FinishEvent(finish_reason(self._stop_reason)))
        return events


def _url(endpoint: ProviderEndpoint) -> str:
    base = endpoint.base_url.rstrip("/")
    return base.removesuffix("/v1") + "/v1/messages"  # accept base URLs given with /v1


def _headers(endpoint: ProviderEndpoint, *, stream: bool) -> dict[str, str]:
    headers = {
        "anthropic-version": ANTHROPIC_VERSION,
        "Accept": "text/event-stream" if stream else "application/json",
    }
    if endpoint.api_key:
        headers["x-api-key"] = endpoint.api_key
    return headers
