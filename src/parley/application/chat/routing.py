"""Calling a model's provider, and opening streams whose first event has already arrived.

Opening a stream waits for its first event, so that everything that can go wrong before
the first byte reaches the client (connect errors, 429, 5xx, first-token timeouts) is
known while the caller can still answer with a clean error, retry, or fall back."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from parley.application.ports.chat_provider import ProviderRegistry
from parley.domain.chat import ChatCompletion, ChatRequest, StreamEvent
from parley.domain.errors import ProviderStreamBroken
from parley.domain.models import ModelConfig


@dataclass(frozen=True, slots=True)
class RoutedCompletion:
    model: ModelConfig
    completion: ChatCompletion


class OpenedStream:
    """A provider stream that has produced its first event. Iterate it once; `aclose()`
    (also on early exit) closes the upstream connection."""

    def __init__(
        self, model: ModelConfig, first: StreamEvent, rest: AsyncIterator[StreamEvent]
    ) -> None:
        self.model = model
        self._first: StreamEvent | None = first
        self._rest = rest

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        async for event in self._rest:
            yield event

    async def aclose(self) -> None:
        closer = getattr(self._rest, "aclose", None)
        if closer is not None:
            await closer()


class ModelRouter:
    """Sends a request to the provider of a model config."""

    def __init__(self, registry: ProviderRegistry) -> None:
        self._registry = registry

    async def complete(self, model: ModelConfig, request: ChatRequest) -> RoutedCompletion:
        """Raises `ProviderError` subclasses."""
        provider, endpoint = self._registry.provider_for(model)
        return RoutedCompletion(model, await provider.complete(request, endpoint))

    async def open_stream(self, model: ModelConfig, request: ChatRequest) -> OpenedStream:
        """Raises `ProviderError` subclasses when the stream fails before its first event."""
        provider, endpoint = self._registry.provider_for(model)
        events = provider.stream(request, endpoint)
        try:
            first = await anext(events)
        except StopAsyncIteration:
            raise ProviderStreamBroken("The model provider sent an empty stream.") from None
        except BaseException:
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
            raise
        return OpenedStream(model, first, events)
