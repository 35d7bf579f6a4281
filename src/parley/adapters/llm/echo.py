"""`EchoProvider`: the built-in demo model, so a fresh install can chat with no network."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from parley.application.ports.chat_provider import ProviderEndpoint
from parley.application.tokens import estimate_messages_tokens, estimate_tokens
from parley.domain.chat import (
    ChatCompletion,
    ChatRequest,
    FinishEvent,
    StreamEvent,
    TextDelta,
    Usage,
    UsageEvent,
)

DEMO_LABEL = "[Parley demo model]"
#: How much of the user's message the demo repeats back.
MAX_ECHO_CHARS = 500
_WORD = re.compile(r"\S+\s*")


class EchoProvider:
    """A deterministic `ChatProvider` that needs no network and no key.

    It answers "[Parley demo model] You said: <last user message>" (cut to 500
    characters), streamed word by word, with estimated usage (`Usage.estimated=True`).
    `max_tokens` is honoured by cutting words off, with finish reason "length". It never
    calls tools and never raises. `start()` and `aclose()` exist for symmetry and do
    nothing.
    """

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def complete(self, request: ChatRequest, endpoint: ProviderEndpoint) -> ChatCompletion:
        words, reason = _answer(request)
        text = "".join(words)
        return ChatCompletion(
            text=text, tool_calls=(), usage=_usage(request, text), finish_reason=reason
        )

    async def stream(
        self, request: ChatRequest, endpoint: ProviderEndpoint
    ) -> AsyncIterator[StreamEvent]:
        words, reason = _answer(request)
        for word in words:
            yield TextDelta(word)
            await asyncio.sleep(0)  # let other streams run, as a real upstream would
        yield UsageEvent(_usage(request, "".join(words)))
        yield FinishEvent(reason)


def reply_text(request: ChatRequest) -> str:
    """The whole reply the demo model gives to `request` (before any `max_tokens` cut)."""
    said = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    said = " ".join(said.split())
    if not said:
        return f"{DEMO_LABEL} Hello! Send me a message and I will repeat it back to you."
    if len(said) > MAX_ECHO_CHARS:
        said = said[:MAX_ECHO_CHARS].rstrip() + "…"
    return f"{DEMO_LABEL} You said: {said}"


def _answer(request: ChatRequest) -> tuple[list[str], str]:
    words = _WORD.findall(reply_text(request))
    if request.max_tokens is None:
        return words, "stop"
    kept: list[str] = []
    for word in words:
        if estimate_tokens("".join([*kept, word])) > request.max_tokens:
            return kept, "length"
        kept.append(word)
    return kept, "stop"


def _usage(request: ChatRequest, text: str) -> Usage:
    return Usage(
        prompt_tokens=estimate_messages_tokens(request.messages),
        completion_tokens=estimate_tokens(text),
        estimated=True,
    )
