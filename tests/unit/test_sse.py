"""Server-sent events: one JSON document per `data:` line, whatever the text holds."""

from __future__ import annotations

import json

import pytest

from parley.api.sse import sse_data, sse_event


@pytest.mark.parametrize(
    "text", ["plain", "two\nlines\r\nand\rcarriage", "event: forged\n\ndata: x", "ü€😀", "\ud800"]
)
def test_no_text_can_end_an_event_or_forge_another(text: str) -> None:
    for event, prefix in (
        (sse_event("delta", {"text": text}), b"event: delta\n"),
        (sse_data({"text": text}), b""),
    ):
        assert event.startswith(prefix + b"data: ")
        assert event.endswith(b"\n\n")
        lines = event[: -len(b"\n\n")].split(b"\n")
        assert len(lines) == (2 if prefix else 1)
        assert b"\r" not in event
        assert json.loads(lines[-1].removeprefix(b"data: ")) == {"text": text}
