"""Parley's chat types in and out of Anthropic's Messages API wire format."""

from __future__ import annotations

import base64
import json
from typing import Any

from parley.domain.chat import ChatCompletion, ChatMessage, ChatRequest, ToolCall, Usage
from parley.domain.errors import ProviderStreamBroken

ANTHROPIC_VERSION = "2023-06-01"
#: Anthropic requires `max_tokens`; used when the request leaves it open.
DEFAULT_MAX_TOKENS = 4096

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: Any) -> str:
    """Anthropic's `stop_reason` in OpenAI's vocabulary (unknown reasons pass through)."""
    if not isinstance(stop_reason, str) or not stop_reason:
        return "stop"
    return _STOP_REASONS.get(stop_reason, stop_reason)


def render_request(request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    """The JSON body for `POST /v1/messages`. `request.extra` is not passed through."""
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": render_messages(request.messages),
        "stream": stream,
    }
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
            for t in request.tools
        ]
    choice = _tool_choice(request.tool_choice)
    if choice is not None:
        body["tool_choice"] = choice
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    return body


def render_messages(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """User/assistant turns as content blocks; tool results ride in user turns, and
    consecutive turns of one role are merged because the API wants them alternating."""
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return turns


def _blocks(message: ChatMessage) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id or "",
                "content": message.content,
            }
        ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": image.media_type,
                "data": base64.b64encode(image.data).decode("ascii"),
            },
        }
        for image in message.images
    ]
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    blocks.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": tool_input(call)}
        for call in message.tool_calls
    )
    return blocks


def tool_input(call: ToolCall) -> Any:
    """The call's JSON arguments as an object (Anthropic wants a dict, not a string)."""
    try:
        value = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def _tool_choice(choice: Any) -> dict[str, Any] | None:
    if choice is None:
        return None
    if choice == "auto":
        return {"type": "auto"}
    if choice == "none":
        return {"type": "none"}
    if choice in ("required", "any"):
        return {"type": "any"}
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and function.get("name"):
            return {"type": "tool", "name": function["name"]}
        if choice.get("type") in ("auto", "any", "tool", "none"):
            return dict(choice)
    return None


def parse_usage(payload: Any, *, prompt_default: int = 0) -> Usage | None:
    if not isinstance(payload, dict):
        return None
    prompt = payload.get("input_tokens", prompt_default)
    completion = payload.get("output_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


def parse_completion(payload: Any) -> ChatCompletion:
    """A whole (non-streamed) message. Raises `ProviderStreamBroken` if it is malformed."""
    content = payload.get("content") if isinstance(payload, dict) else None
    if not isinstance(content, list):
        raise ProviderStreamBroken("The model provider sent a malformed answer.")
    text = "".join(
        str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
    )
    calls = tuple(
        ToolCall(
            id=str(b.get("id", "")),
            name=str(b.get("name", "")),
            arguments=json.dumps(b.get("input") or {}, separators=(",", ":")),
        )
        for b in content
        if isinstance(b, dict) and b.get("type") == "tool_use"
    )
    return ChatCompletion(
        text=text,
        tool_calls=calls,
        usage=parse_usage(payload.get("usage")),
        finish_reason=finish_reason(payload.get("stop_reason")),
    )
