"""An incremental Server-Sent Events decoder that does not care how the bytes were chunked.

Network chunks split lines (and even UTF-8 characters) anywhere; `SseDecoder.feed` buffers
the incomplete tail and returns only whole events. Comments (`: keepalive`) and `retry:` /
`id:` fields are ignored, multi-line `data:` fields are joined with newlines as the spec
says, and CRLF, LF or CR line ends are all accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from parley.domain.values import cheap_init

#: A single SSE line longer than this is not a model stream; refuse to buffer it forever.
MAX_LINE_BYTES = 16 * 1024 * 1024


class SseProtocolError(Exception):
    """The bytes are not an event stream (e.g. a runaway line)."""


@cheap_init
@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event: its `event` name ("message" when unnamed) and joined `data`."""

    event: str
    data: str


class SseDecoder:
    """Feed it bytes as they arrive; it returns the events they complete."""

    def __init__(self) -> None:
        self._buffer = b""
        self._event = ""
        self._data: list[str] = []
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Decode `chunk`; return every event completed by it (possibly none)."""
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CRLF that was split across chunks
        self._pending_cr = chunk.endswith(b"\r")
        self._buffer += chunk
        events: list[SseEvent] = []
        lines = self._buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        self._buffer = lines.pop()
        if len(self._buffer) > MAX_LINE_BYTES:
            raise SseProtocolError("event stream line too long")
        for raw in lines:
            event = self._line(raw.decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SseEvent]:
        """End of stream: a final event without its blank line is still dispatched."""
        events = self.feed(b"\n") if self._buffer else []
        event = self._line("")
        if event is not None:
            events.append(event)
        return events

    def _line(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None

    def _dispatch(self) -> SseEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SseEvent(event=self._event or "message", data="\n".join(self._data))
        self._event = ""
        self._data = []
        return event
