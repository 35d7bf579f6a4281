"""What a `ScriptedUpstream` does for one request: the steps tests enqueue.

Each step is consumed by exactly one chat request (`POST /v1/chat/completions` or
`POST /v1/messages`); whether the answer is streamed follows the request's `stream` flag.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TEXT = "Hello from the scripted model."


@dataclass(frozen=True, slots=True)
class Reply:
    """A normal answer.

    `text` is streamed in `chunks` roughly equal pieces (default: one piece per word).
    `first_byte_delay` seconds pass before the response headers are sent, `chunk_gap`
    seconds between streamed content chunks. `usage` is (prompt, completion) tokens, or
    None to report no usage at all. `tool_calls` are (id, name, arguments_json) triples;
    when streamed, each one's arguments arrive in several fragments. `finish_reason`
    defaults to "tool_calls" when there are tool calls and "stop" otherwise (the
    Anthropic dialect translates it to end_turn / max_tokens / tool_use).
    """

    text: str = DEFAULT_TEXT
    chunks: int | None = None
    first_byte_delay: float = 0.0
    chunk_gap: float = 0.0
    usage: tuple[int, int] | None = (10, 5)
    tool_calls: Sequence[tuple[str, str, str]] = ()
    finish_reason: str | None = None

    @property
    def reason(self) -> str:
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"

    def pieces(self) -> list[str]:
        """The text cut into the streamed content chunks (concatenated, they are `text`)."""
        if not self.text:
            return []
        if self.chunks is None:
            return re.findall(r"\s*\S+\s*", self.text) or [self.text]
        count = max(1, min(self.chunks, len(self.text)))
        size = math.ceil(len(self.text) / count)
        return [self.text[i : i + size] for i in range(0, len(self.text), size)]


@dataclass(frozen=True, slots=True)
class Fail:
    """An HTTP error answer with `status`.

    `body` may be a dict (sent as JSON), a str (sent as text) or None for the dialect's
    usual error shape. `retry_after` (seconds or an HTTP date string) becomes the
    `Retry-After` header; `headers` are added as they are.
    """

    status: int
    body: Mapping[str, Any] | str | None = None
    retry_after: float | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Drop:
    """Start answering, then abort the connection without finishing.

    Streamed: headers, the preamble, `after_chunks` content chunks of `reply`, then the
    TCP connection is aborted. Not streamed: the connection is aborted before any byte.
    """

    after_chunks: int = 0
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class Hang:
    """Send nothing for `seconds`, then answer with `then` (a normal reply by default)."""

    seconds: float
    then: Reply = field(default_factory=Reply)


Step = Reply | Fail | Drop | Hang
