"""Server-sent events. Every `data:` line is one JSON document (JSON escapes newlines), so
no model output or user content can end an event early or forge another one. Encoded with
`jsonio.dumps` (orjson: compact UTF-8)."""

from __future__ import annotations

from typing import Any

from parley import jsonio


def sse_event(name: str, data: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + jsonio.dumps(data) + b"\n\n"


def sse_data(data: Any) -> bytes:
    return b"data: " + jsonio.dumps(data) + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"
#: The head of every event stream (proxies told not to buffer it).
SSE_START_HEADERS = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)
