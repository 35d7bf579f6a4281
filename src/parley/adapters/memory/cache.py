"""An in-process cache and window counter."""

from __future__ import annotations

import math
import time
from typing import Any

from parley.application.ports.cache import WindowDecision


class MemoryCache:
    """A dict with expiry. Expired entries are dropped when read, and swept when the cache
    grows past `max_entries`."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: dict[str, tuple[float, Any]] = {}
        self._max_entries = max_entries

    async def get(self, key: str) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= time.monotonic():
            del self._entries[key]
            return None
        return value

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        if len(self._entries) >= self._max_entries:
            self._sweep()
        self._entries[key] = (time.monotonic() + ttl_seconds, value)

    async def add(self, key: str, value: Any, ttl_seconds: float) -> bool:
        if await self.get(key) is not None:
            return False
        await self.set(key, value, ttl_seconds)
        return True

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= self._max_entries:  # still full: drop the oldest inserted
            del self._entries[next(iter(self._entries))]


class MemoryWindowCounter:
    """Fixed windows aligned to the clock, so every key's window resets at a known time."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}

    def _current(self, key: str, window_seconds: float) -> tuple[int, int, float]:
        now = time.time()
        window = math.floor(now / window_seconds)
        stored = self._counts.get(key)
        count = stored[1] if stored and stored[0] == window else 0
        reset_after = (window + 1) * window_seconds - now
        return window, count, reset_after

    async def peek(self, key: str, limit: int, window_seconds: float) -> WindowDecision:
        _, count, reset_after = self._current(key, window_seconds)
        return WindowDecision(count < limit, limit, max(limit - count, 0), reset_after)

    async def hit(self, key: str, limit: int, window_seconds: float) -> WindowDecision:
        window, count, reset_after = self._current(key, window_seconds)
        count += 1
        self._counts[key] = (window, count)
        return WindowDecision(count <= limit, limit, max(limit - count, 0), reset_after)
