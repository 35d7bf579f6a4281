"""Unit tests of the SSE decoder and of the error mapping helpers."""

from __future__ import annotations

import pytest

from parley.adapters.llm.errors import error_for_status, parse_retry_after
from parley.adapters.llm.sse import SseDecoder, SseEvent
from parley.domain.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable

STREAM = (
    b": keepalive\r\n\r\n"
    b'event: message_start\r\ndata: {"a": 1}\r\n\r\n'
    b"data: line one\ndata: line two\n\n"
    b"id: 7\nretry: 100\ndata: caf\xc3\xa9\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SseEvent("message_start", '{"a": 1}'),
    SseEvent("message", "line one\nline two"),
    SseEvent("message", "café"),
    SseEvent("message", "[DONE]"),
]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, len(STREAM)])
def test_decoder_gives_the_same_events_however_the_bytes_are_split(size: int) -> None:
    decoder = SseDecoder()
    events: list[SseEvent] = []
    for start in range(0, len(STREAM), size):
        events += decoder.feed(STREAM[start : start + size])
    events += decoder.close()
    assert events == EXPECTED


def test_decoder_dispatches_a_final_event_without_blank_line_at_close() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: tail") == []
    assert decoder.close() == [SseEvent("message", "tail")]


def test_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None


def test_status_mapping_keeps_only_a_safe_code() -> None:
    error = error_for_status(400, {}, b'{"error": {"code": "context_length_exceeded"}}')
    assert isinstance(error, ProviderRejected)
    assert "context_length_exceeded" in error.detail
    unsafe = error_for_status(400, {}, b'{"error": {"code": "has spaces <script>"}}')
    assert "script" not in unsafe.detail
    assert isinstance(error_for_status(408, {}, b""), ProviderTimeout)
    assert isinstance(error_for_status(503, {"Retry-After": "2"}, b"oops"), ProviderUnavailable)
