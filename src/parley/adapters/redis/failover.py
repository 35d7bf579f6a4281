"""Keeping the shared cache and login counters working while Redis cannot be reached.

Reads fall back to a short-lived local copy (so the database, the source of truth, answers
instead); writes that could not reach Redis are remembered and replayed once it answers
again, so a revocation made during an outage still reaches every replica afterwards."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from parley.adapters.memory.cache import MemoryCache, MemoryWindowCounter
from parley.application.ports.cache import Cache, WindowCounter, WindowDecision
from parley.application.ports.circuit import CircuitBreaker
from parley.domain.circuit import Circuit
from parley.log import get_logger

log = get_logger("parley.redis")


class Outage:
    """Remembers that Redis failed, and when to try it again."""

    def __init__(self, retry_seconds: float = 1.0) -> None:
        self._retry_seconds = retry_seconds
        self._down_until = 0.0

    @property
    def active(self) -> bool:
        return self._down_until > time.monotonic()

    def failed(self, error: Exception) -> None:
        if not self.active:
            log.warning("redis_unreachable", error=type(error).__name__)
        self._down_until = time.monotonic() + self._retry_seconds


class FailoverCache:
    def __init__(self, primary: Cache, outage: Outage, local_ttl_seconds: float = 0.5) -> None:
        self._primary = primary
        self._outage = outage
        self._local = MemoryCache()
        self._local_ttl = local_ttl_seconds
        self._unsent: dict[str, tuple[Any, float] | None] = {}
        self._replaying = asyncio.Lock()

    async def _replay(self) -> None:
        """Send the writes Redis missed, oldest first; concurrent callers wait for the one
        replay in progress (then they read what it wrote)."""
        if not self._unsent:
            return
        async with self._replaying:
            while self._unsent:
                key = next(iter(self._unsent))
                write = self._unsent[key]
                if write is None:
                    await self._primary.delete(key)
                else:
                    await self._primary.set(key, write[0], write[1])
                if self._unsent.get(key) is write:  # not replaced by a newer write meanwhile
                    del self._unsent[key]

    async def get(self, key: str) -> Any | None:
        if not self._outage.active:
            try:
                if self._unsent:  # (checked here too: every request reads the cache)
                    await self._replay()
                return await self._primary.get(key)
            except Exception as error:
                self._outage.failed(error)
        return await self._local.get(key)

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        await self._local.set(key, value, min(ttl_seconds, self._local_ttl))
        if not self._outage.active:
            try:
                await self._replay()
                await self._primary.set(key, value, ttl_seconds)
                return
            except Exception as error:
                self._outage.failed(error)
        self._unsent[key] = (value, ttl_seconds)

    async def add(self, key: str, value: Any, ttl_seconds: float) -> bool:
        if not self._outage.active:
            try:
                await self._replay()
                return await self._primary.add(key, value, ttl_seconds)
            except Exception as error:
                self._outage.failed(error)
        return await self._local.add(key, value, min(ttl_seconds, self._local_ttl))

    async def delete(self, key: str) -> None:
        await self._local.delete(key)
        if not self._outage.active:
            try:
                await self._replay()
                await self._primary.delete(key)
                return
            except Exception as error:
                self._outage.failed(error)
        self._unsent[key] = None


class FailoverWindowCounter:
    def __init__(self, primary: WindowCounter, outage: Outage) -> None:
        self._primary = primary
        self._outage = outage
        self._local = MemoryWindowCounter()

    async def peek(self, key: str, limit: int, window_seconds: float) -> WindowDecision:
        if not self._outage.active:
            try:
                return await self._primary.peek(key, limit, window_seconds)
            except Exception as error:
                self._outage.failed(error)
        return await self._local.peek(key, limit, window_seconds)

    async def hit(self, key: str, limit: int, window_seconds: float) -> WindowDecision:
        if not self._outage.active:
            try:
                return await self._primary.hit(key, limit, window_seconds)
            except Exception as error:
                self._outage.failed(error)
        return await self._local.hit(key, limit, window_seconds)


class FailoverCircuitBreaker:
    """The shared breaker while Redis answers; this replica's own breaker while it does not."""

    def __init__(self, primary: CircuitBreaker, fallback: CircuitBreaker, outage: Outage) -> None:
        self._primary = primary
        self._fallback = fallback
        self._outage = outage

    async def allow(self, name: str) -> tuple[bool, float]:
        if not self._outage.active:
            try:
                return await self._primary.allow(name)
            except Exception as error:
                self._outage.failed(error)
        return await self._fallback.allow(name)

    async def record_success(self, name: str) -> None:
        if not self._outage.active:
            try:
                await self._primary.record_success(name)
                return
            except Exception as error:
                self._outage.failed(error)
        await self._fallback.record_success(name)

    async def record_failure(self, name: str) -> None:
        if not self._outage.active:
            try:
                await self._primary.record_failure(name)
                return
            except Exception as error:
                self._outage.failed(error)
        await self._fallback.record_failure(name)

    async def state(self, name: str) -> Circuit:
        if not self._outage.active:
            try:
                return await self._primary.state(name)
            except Exception as error:
                self._outage.failed(error)
        return await self._fallback.state(name)
