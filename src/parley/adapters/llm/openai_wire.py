"""Parley's chat types in and out of the OpenAI Chat Completions wire format."""

from __future__ import annotations

import base64
from typing import Any

from parley.domain.chat import ChatCompletion, ChatMessage, ChatRequest, ToolCall, Usage
from parley.domain.errors import ProviderStreamBroken

#: Body fields Parley owns; `request.extra` may never override them.
RESERVED_FIELDS = frozenset({"model", "messages", "stream", "stream_options"})


def render_request(request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    """The JSON body for `POST /chat/completions`, with `request.extra` passed through."""
    body: dict[str, Any] = {k: v for k, v in request.extra.items() if k not in RESERVED_FIELDS}
    body["model"] = request.model
    body["messages"] = [render_message(m) for m in request.messages]
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": dict(t.parameters),
                },
            }
            for t in request.tools
        ]
    if request.tool_choice is not None:
        body["tool_choice"] = request.tool_choice
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop"] = list(request.stop)
    body["stream"] = stream
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def render_message(message: ChatMessage) -> dict[str, Any]:
    """One message: tool calls, tool results and images in OpenAI's shapes."""
    wire: dict[str, Any] = {"role": message.role}
    if message.images:
        parts: list[dict[str, Any]] = []
        if message.content:
            parts.append({"type": "text", "text": message.content})
        for image in message.images:
            data = base64.b64encode(image.data).decode("ascii")
            url = f"data:{image.media_type};base64,{data}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        wire["content"] = parts
    elif message.role == "assistant" and message.tool_calls and not message.content:
        wire["content"] = None
    else:
        wire["content"] = message.content
    if message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.role == "tool" and message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    if message.name is not None and message.role != "tool":
        wire["name"] = message.name
    return wire


def parse_usage(payload: Any) -> Usage | None:
    """`usage` of a response or chunk, or None when absent or malformed."""
    if not isinstance(payload, dict):
        return None
    prompt = payload.get("prompt_tokens")
    completion = payload.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


def parse_completion(payload: Any) -> ChatCompletion:
    """A whole (non-streamed) response. Raises `ProviderStreamBroken` if it is malformed."""
    try:
        choice = payload["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise ProviderStreamBroken("The model provider sent a malformed answer.") from None
    raw_calls = message.get("tool_calls")
    calls = (
        tuple(
            ToolCall(
                id=str(call.get("id") or f"call_{index}"),
                name=str(call["function"]["name"]),
                arguments=str(call["function"].get("arguments") or "{}"),
            )
            for index, call in enumerate(raw_calls)
        )
        if raw_calls
        else ()
    )
    return ChatCompletion(
        text=_text_of(message.get("content")),
        tool_calls=calls,
        usage=parse_usage(payload.get("usage")),
        finish_reason=str(choice.get("finish_reason") or ("tool_calls" if calls else "stop")),
    )


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # some servers answer with content parts
        return "".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""
