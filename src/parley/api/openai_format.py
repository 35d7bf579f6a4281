"""Rendering Parley's chat results in OpenAI's wire format."""

from __future__ import annotations

import random
import time
from typing import Any

from parley import jsonio
from parley.domain.chat import ChatCompletion, ToolCall, Usage


def completion_id() -> str:
    """A response's id: unique, not secret (it names an answer its caller already has), so
    from `random` rather than a read of the OS's random source on every request."""
    return f"chatcmpl-{random.getrandbits(128):032x}"


def usage_json(usage: Usage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def tool_call_json(call: ToolCall, index: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }
    if index is not None:
        body["index"] = index
    return body


def completion_json(model: str, completion: ChatCompletion) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": completion.text or None}
    if completion.tool_calls:
        message["tool_calls"] = [tool_call_json(call) for call in completion.tool_calls]
    elif message["content"] is None:
        message["content"] = ""
    body: dict[str, Any] = {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": completion.finish_reason,
                "logprobs": None,
            }
        ],
    }
    usage = usage_json(completion.usage)
    if usage is not None:
        body["usage"] = usage
    return body


class ChunkWriter:
    """Builds the `chat.completion.chunk` objects of one streamed answer."""

    def __init__(self, model: str) -> None:
        self.id = completion_id()
        self.created = int(time.time())
        self.model = model
        # A text delta is most of a stream: render the constant parts of its SSE event once.
        head = jsonio.dumps(self.chunk({"content": ""}))
        before, _, after = head.partition(b'"content":""')
        self._text_head = b"data: " + before + b'"content":'
        self._text_tail = after + b"\n\n"

    def text_event(self, text: str) -> bytes:
        """`sse_data(self.chunk({"content": text}))`, byte for byte, without rebuilding and
        re-encoding the whole chunk for every delta."""
        return self._text_head + jsonio.dumps(text) + self._text_tail

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            ],
        }

    def usage_chunk(self, usage: Usage) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage_json(usage),
        }


OPENAI_ERROR_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}


def openai_error(status: int, message: str, code: str | None) -> dict[str, Any]:
    error_type = OPENAI_ERROR_TYPES.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}
