"""The port every model provider adapter implements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from parley.domain.chat import ChatCompletion, ChatRequest, StreamEvent
from parley.domain.models import ModelConfig, Timeouts
from parley.domain.values import cheap_init


@cheap_init
@dataclass(frozen=True, slots=True)
class ProviderEndpoint:
    """Where and how to reach one upstream: resolved from a model config (secret included)."""

    base_url: str
    api_key: str | None
    timeouts: Timeouts


class ChatProvider(Protocol):
    """Talks to one kind of upstream (OpenAI-compatible, Anthropic, echo, ...).

    Both methods raise `parley.domain.errors.ProviderError` subclasses, never transport
    exceptions: `ProviderUnavailable` (connect error, 429, 5xx), `ProviderTimeout`,
    `ProviderAuthFailed` (401/403), `ProviderRejected` (other 4xx), and while streaming
    `ProviderStreamBroken` when the stream ends before the provider said it finished.
    Closing the async iterator early (`aclose()`, or cancelling the consuming task) closes
    the upstream connection.
    """

    async def complete(
        self, request: ChatRequest, endpoint: ProviderEndpoint
    ) -> ChatCompletion: ...

    def stream(
        self, request: ChatRequest, endpoint: ProviderEndpoint
    ) -> AsyncIterator[StreamEvent]: ...


class ProviderRegistry(Protocol):
    """Finds the provider adapter and endpoint for a model config."""

    def provider_for(self, model: ModelConfig) -> tuple[ChatProvider, ProviderEndpoint]:
        """Raises `ProviderAuthFailed` when the config names a secret that is not set."""
        ...
