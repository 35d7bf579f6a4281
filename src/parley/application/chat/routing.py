"""Calling a model's provider: retries, fallbacks and circuit breakers, all before the first
byte reaches the client.

Opening a stream waits for its first event, so that everything that can go wrong before the
first byte (connect errors, 429, 5xx, first-token timeouts) is known while the caller can
still retry, fall back, or answer with a clean error. Nothing is retried once a stream has
started."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from parley.application.ports.chat_provider import ProviderRegistry
from parley.application.ports.circuit import CircuitBreaker
from parley.application.ports.logger import Logger
from parley.application.ports.model_lookup import ModelLookup
from parley.domain.chat import ChatCompletion, ChatRequest, StreamEvent
from parley.domain.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderRejected,
    ProviderStreamBroken,
    ProviderUnavailable,
)
from parley.domain.models import ModelConfig
from parley.domain.users import Tier
from parley.domain.values import cheap_init

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Per model: up to `max_attempts` tries with jittered exponential backoff (a provider's
    `Retry-After` is honoured when longer); all models together within `deadline_seconds`."""

    max_attempts: int = 3
    base_delay_seconds: float = 0.25
    max_delay_seconds: float = 8.0
    deadline_seconds: float = 30.0

    def backoff(self, attempt: int, jitter: float) -> float:
        ceiling: float = min(self.max_delay_seconds, self.base_delay_seconds * 2.0**attempt)
        return ceiling * (0.5 + jitter / 2)


@cheap_init
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
    """Sends a request to a model, or down its fallback chain. Raises the last
    `ProviderError` when every model failed (`ProviderUnavailable` with `retry_after` when
    circuits are open), and `ProviderRejected` at once (the request itself is at fault)."""

    def __init__(
        self,
        registry: ProviderRegistry,
        lookup: ModelLookup,
        breaker: CircuitBreaker,
        policy: RetryPolicy,
        logger: Logger,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._registry = registry
        self._lookup = lookup
        self._breaker = breaker
        self._policy = policy
        self._log = logger
        self._sleep = sleep
        self._jitter = jitter

    async def complete(
        self, model: ModelConfig, request: ChatRequest, tier: Tier | None = None
    ) -> RoutedCompletion:
        async def call(candidate: ModelConfig, routed: ChatRequest) -> RoutedCompletion:
            provider, endpoint = self._registry.provider_for(candidate)
            return RoutedCompletion(candidate, await provider.complete(routed, endpoint))

        return await self._route(model, request, tier, call)

    async def open_stream(
        self, model: ModelConfig, request: ChatRequest, tier: Tier | None = None
    ) -> OpenedStream:
        async def call(candidate: ModelConfig, routed: ChatRequest) -> OpenedStream:
            provider, endpoint = self._registry.provider_for(candidate)
            events = provider.stream(routed, endpoint)
            try:
                first = await anext(events)
            except StopAsyncIteration:
                raise ProviderStreamBroken("The model provider sent an empty stream.") from None
            except BaseException:
                with contextlib.suppress(Exception):
                    await events.aclose()  # type: ignore[attr-defined]
                raise
            return OpenedStream(candidate, first, events)

        return await self._route(model, request, tier, call)

    async def _chain(self, model: ModelConfig, tier: Tier | None) -> list[ModelConfig]:
        chain = [model]
        for name in model.fallbacks:
            candidate = await self._lookup.get(name)
            if (
                candidate is not None
                and candidate.enabled
                and (tier is None or tier in candidate.tiers)
                and all(c.name != candidate.name for c in chain)
            ):
                chain.append(candidate)
        return chain

    async def _route(
        self,
        model: ModelConfig,
        request: ChatRequest,
        tier: Tier | None,
        call: Callable[[ModelConfig, ChatRequest], Awaitable[T]],
    ) -> T:
        deadline = time.monotonic() + self._policy.deadline_seconds
        last_error: ProviderError | None = None
        for candidate in await self._chain(model, tier):
            routed = (
                request
                if request.model == candidate.upstream_model
                else replace(request, model=candidate.upstream_model)
            )
            for attempt in range(self._policy.max_attempts):
                allowed, wait = await self._breaker.allow(candidate.name)
                if not allowed:
                    last_error = ProviderUnavailable(
                        f"The model '{candidate.name}' is temporarily unavailable.",
                        retry_after=wait,
                    )
                    break
                try:
                    result = await call(candidate, routed)
                except ProviderRejected:
                    raise
                except ProviderError as error:
                    await self._breaker.record_failure(candidate.name)
                    last_error = error
                    if isinstance(error, ProviderAuthFailed):
                        self._log.error("provider_refused_credentials", model=candidate.name)
                    if not error.retryable or attempt + 1 >= self._policy.max_attempts:
                        break
                    delay = max(
                        error.retry_after or 0.0, self._policy.backoff(attempt, self._jitter())
                    )
                    if time.monotonic() + delay >= deadline:
                        break
                    await self._sleep(delay)
                    continue
                await self._breaker.record_success(candidate.name)
                if candidate is not model:
                    self._log.info(
                        "served_by_fallback", requested=model.name, served=candidate.name
                    )
                return result
            if time.monotonic() >= deadline:
                break
        assert last_error is not None
        raise last_error
