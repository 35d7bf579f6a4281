"""Server-sent events. Every `data:` line is one JSON document (json.dumps escapes newlines),
so no model output or user content can end an event early or forge another one."""

from __future__ import annotations

import json
from typing import Any

_SEPARATORS = (",", ":")


def sse_event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=_SEPARATORS)}\n\n".encode()


def sse_data(data: Any) -> bytes:
    return f"data: {json.dumps(data, separators=_SEPARATORS)}\n\n".encode()


SSE_DONE = b"data: [DONE]\n\n"
#: The head of every event stream (proxies told not to buffer it).
SSE_START_HEADERS = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)
