"""A Redis-backed cache with a very short-lived per-replica copy, and window counters."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from redis.asyncio import Redis

from parley.application.ports.cache import WindowDecision


class RedisCache:
    """JSON values under a key prefix. Reads are kept locally for `local_ttl_seconds` (a
    fraction of a second) so a hot credential costs one Redis round-trip per interval, not
    one per request; writes and deletes drop the local copy at once."""

    def __init__(
        self, client: Redis, prefix: str = "parley:", local_ttl_seconds: float = 0.5
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._local_ttl = local_ttl_seconds
        self._local: dict[str, tuple[float, Any]] = {}

    async def get(self, key: str) -> Any | None:
        now = time.monotonic()
        local = self._local.get(key)
        if local is not None and local[0] > now:
            return local[1]
        raw = await self._client.get(self._prefix + key)
        if raw is None:
            self._local.pop(key, None)
            return None
        value = json.loads(raw)
        if self._local_ttl > 0:
            if len(self._local) > 50_000:
                self._local.clear()
            self._local[key] = (now + self._local_ttl, value)
        return value

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        self._local.pop(key, None)
        await self._client.set(self._prefix + key, json.dumps(value), px=int(ttl_seconds * 1000))

    async def add(self, key: str, value: Any, ttl_seconds: float) -> bool:
        self._local.pop(key, None)
        stored = await self._client.set(
            self._prefix + key, json.dumps(value), px=int(ttl_seconds * 1000), nx=True
        )
        return bool(stored)

    async def delete(self, key: str) -> None:
        self._local.pop(key, None)
        await self._client.delete(self._prefix + key)


class RedisWindowCounter:
    """Fixed windows aligned to the clock; INCR and PEXPIRE in one transaction."""

    def __init__(self, client: Redis, prefix: str = "parley:window:") -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, key: str, window_seconds: float) -> tuple[str, float]:
        now = time.time()
        window = math.floor(now / window_seconds)
        reset_after = (window + 1) * window_seconds - now
        return f"{self._prefix}{key}:{window}", reset_after

    async def peek(self, key: str, limit: int, window_seconds: float) -> WindowDecision:
        redis_key, reset_after = self._key(key, window_seconds)
        count = int(await self._client.get(redis_key) or 0)
        return WindowDecision(count < limit, limit, max(limit - count, 0), reset_after)

    async def hit(self, key: str, limit: int, window_seconds: float) -> WindowDecision:
        redis_key, reset_after = self._key(key, window_seconds)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(redis_key)
            pipe.pexpire(redis_key, int((reset_after + 1) * 1000))
            count, _ = await pipe.execute()
        return WindowDecision(count <= limit, limit, max(limit - int(count), 0), reset_after)
