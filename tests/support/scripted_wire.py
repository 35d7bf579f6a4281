"""The OpenAI and Anthropic wire shapes a `ScriptedUpstream` answers with."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.support.scripted_steps import Reply

Dialect = Literal["openai", "anthropic"]

_ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


@dataclass(slots=True)
class StreamPlan:
    """The SSE frames of one streamed answer. `content` frames are the ones `Drop` counts
    and `chunk_gap` separates; `preamble` and `epilogue` surround them."""

    preamble: list[bytes] = field(default_factory=list)
    content: list[bytes] = field(default_factory=list)
    epilogue: list[bytes] = field(default_factory=list)


def sse(data: Any, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {text}\n\n".encode()


def fragments(arguments: str, count: int = 3) -> list[str]:
    """`arguments` cut into up to `count` pieces, as upstreams stream tool arguments."""
    if not arguments:
        return [""]
    size = max(1, math.ceil(len(arguments) / count))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


def error_body(dialect: Dialect, status: int) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    message = f"Scripted failure with HTTP {status}."
    if dialect == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "code": kind, "param": None}}


# --- OpenAI Chat Completions ---------------------------------------------------------------


def openai_completion(reply: Reply, model: str, number: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in reply.tool_calls
        ]
    body: dict[str, Any] = {
        "id": f"chatcmpl-scripted-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.reason}],
    }
    if reply.usage is not None:
        body["usage"] = _openai_usage(reply.usage)
    return body


def openai_stream(reply: Reply, model: str, number: int, include_usage: bool) -> StreamPlan:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**head, "choices": [choice]})

    head = {
        "id": f"chatcmpl-scripted-{number}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    plan = StreamPlan(preamble=[chunk({"role": "assistant", "content": ""})])
    plan.content = [chunk({"content": piece}) for piece in reply.pieces()]
    for index, (call_id, name, arguments) in enumerate(reply.tool_calls):
        for position, piece in enumerate(fragments(arguments)):
            call: dict[str, Any] = {"index": index, "function": {"arguments": piece}}
            if position == 0:
                call.update(id=call_id, type="function")
                call["function"]["name"] = name
            plan.content.append(chunk({"tool_calls": [call]}))
    plan.epilogue.append(chunk({}, reply.reason))
    if include_usage and reply.usage is not None:
        plan.epilogue.append(sse({**head, "choices": [], "usage": _openai_usage(reply.usage)}))
    plan.epilogue.append(sse("[DONE]"))
    return plan


def _openai_usage(usage: tuple[int, int]) -> dict[str, int]:
    prompt, completion = usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


# --- Anthropic Messages --------------------------------------------------------------------


def anthropic_message(reply: Reply, model: str, number: int) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    content += [
        {"type": "tool_use", "id": i, "name": n, "input": json.loads(a or "{}")}
        for i, n, a in reply.tool_calls
    ]
    prompt, completion = reply.usage or (0, 0)
    return {
        "id": f"msg_scripted_{number}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _ANTHROPIC_STOP.get(reply.reason, reply.reason),
        "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    }


def anthropic_stream(reply: Reply, model: str, number: int) -> StreamPlan:
    prompt, completion = reply.usage or (0, 0)
    start = anthropic_message(reply, model, number)
    start.update(content=[], stop_reason=None, usage={"input_tokens": prompt, "output_tokens": 1})
    plan = StreamPlan(preamble=[sse({"type": "message_start", "message": start}, "message_start")])
    index = 0
    if reply.text:
        block = {"type": "text", "text": ""}
        plan.preamble.append(_block_start(index, block))
        plan.preamble.append(sse({"type": "ping"}, "ping"))
        plan.content = [_delta(index, {"type": "text_delta", "text": p}) for p in reply.pieces()]
        plan.content.append(_block_stop(index))
        index += 1
    for call_id, name, arguments in reply.tool_calls:
        plan.content.append(
            _block_start(index, {"type": "tool_use", "id": call_id, "name": name, "input": {}})
        )
        plan.content += [
            _delta(index, {"type": "input_json_delta", "partial_json": piece})
            for piece in fragments(arguments)
        ]
        plan.content.append(_block_stop(index))
        index += 1
    stop = {"stop_reason": _ANTHROPIC_STOP.get(reply.reason, reply.reason), "stop_sequence": None}
    plan.epilogue.append(
        sse(
            {"type": "message_delta", "delta": stop, "usage": {"output_tokens": completion}},
            "message_delta",
        )
    )
    plan.epilogue.append(sse({"type": "message_stop"}, "message_stop"))
    return plan


def _block_start(index: int, block: dict[str, Any]) -> bytes:
    payload = {"type": "content_block_start", "index": index, "content_block": block}
    return sse(payload, "content_block_start")


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    payload = {"type": "content_block_delta", "index": index, "delta": delta}
    return sse(payload, "content_block_delta")


def _block_stop(index: int) -> bytes:
    return sse({"type": "content_block_stop", "index": index}, "content_block_stop")
