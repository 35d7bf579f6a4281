"""`OpenAICompatibleProvider`: the Chat Completions API over HTTP.

Covers OpenAI itself and the servers that speak its dialect: vLLM, Ollama's `/v1`,
llama.cpp's server, LM Studio, LiteLLM, OpenRouter and the like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley import jsonio
from parley.adapters.llm.errors import error_code_of, error_for_stream_event
from parley.adapters.llm.http_provider import HttpChatProvider
from parley.adapters.llm.openai_wire import parse_completion, parse_usage, render_request
from parley.application.ports.chat_provider import ProviderEndpoint
from parley.domain.chat import (
    ChatCompletion,
    ChatRequest,
    FinishEvent,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    Usage,
    UsageEvent,
)
from parley.domain.errors import ProviderStreamBroken


class OpenAICompatibleProvider(HttpChatProvider):
    """A `ChatProvider` for `POST {base_url}/chat/completions` (base_url ends in `/v1`).

    Streams with `stream_options.include_usage`, yields text deltas as they arrive, whole
    tool calls (assembled from their fragments) before the `FinishEvent`, and one
    `UsageEvent` when the upstream reported usage. `request.extra` is merged into the
    body but never overrides `model`, `messages`, `stream` or `stream_options`.
    Raises only `ProviderError`s (see the port). Call `start()` before use and
    `aclose()` at shutdown: they open and close the adapter's pooled HTTP session.
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
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


class _StreamState:
    """Folds `chat.completion.chunk`s into Parley stream events."""

    def __init__(self) -> None:
        self.done = False
        self._started = False
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self._calls: dict[int, _PartialCall] = {}

    def on_data(self, data: str) -> list[StreamEvent]:
        if data.strip() == "[DONE]":
            self.done = True
            return []
        try:
            payload: Any = jsonio.loads_answer(data)
        except ValueError:
            raise ProviderStreamBroken("The model provider sent a malformed chunk.") from None
        if not isinstance(payload, dict):
            return []
        if payload.get("error"):
            raise error_for_stream_event(error_code_of(payload), started=self._started)
        events: list[StreamEvent] = []
        for choice in payload.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str) and content:
                self._started = True
                events.append(TextDelta(content))
            for position, fragment in enumerate(delta.get("tool_calls") or ()):
                self._started = True
                self._absorb(position, fragment)
            if choice.get("finish_reason"):
                self._finish_reason = str(choice["finish_reason"])
        if "usage" in payload:  # most chunks carry none
            usage = parse_usage(payload["usage"])
            if usage is not None:
                self._usage = usage
        return events

    def final_events(self) -> list[StreamEvent]:
        """The tool calls, usage and finish, once the upstream said it was done."""
        if not self.done and self._finish_reason is None:
            raise ProviderStreamBroken()
        events: list[StreamEvent] = [
            ToolCallEvent(
                ToolCall(
                    id=part.id or f"call_{index}",
                    name=part.name,
                    arguments=part.arguments or "{}",
                )
            )
            for index, part in sorted(self._calls.items())
        ]
        if self._usage is not None:
            events.append(UsageEvent(self._usage))
        reason = self._finish_reason or ("tool_calls" if self._calls else "stop")
        events.append(FinishEvent(reason))
        return events

    def _absorb(self, position: int, fragment: Any) -> None:
        if not isinstance(fragment, dict):
            return
        index = fragment.get("index", position)
        part = self._calls.setdefault(index if isinstance(index, int) else position, _PartialCall())
        if fragment.get("id") and not part.id:
            part.id = str(fragment["id"])
        function = fragment.get("function") or {}
        if function.get("name") and not part.name:
            part.name = str(function["name"])
        if isinstance(function.get("arguments"), str):
            part.arguments += function["arguments"]


def _url(endpoint: ProviderEndpoint) -> str:
    return endpoint.base_url.rstrip("/") + "/chat/completions"


def _headers(endpoint: ProviderEndpoint, *, stream: bool) -> dict[str, str]:
    headers = {"Accept": "text/event-stream" if stream else "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    return headers
