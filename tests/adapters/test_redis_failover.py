"""The failover cache's replay of writes made while Redis was away."""

from __future__ import annotations

import asyncio
from typing import Any

from parley.adapters.memory.cache import MemoryCache
from parley.adapters.redis.failover import FailoverCache, Outage


class SlowCache(MemoryCache):
    """A primary that takes a moment per call, as Redis over the network does."""

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        await asyncio.sleep(0.005)
        await super().set(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        await asyncio.sleep(0.005)
        await super().delete(key)


class Unreachable(Exception):
    pass


class FlakyCache(SlowCache):
    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.writes: list[str] = []

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None:
        if self.down:
            raise Unreachable()
        self.writes.append(key)
        await super().set(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        if self.down:
            raise Unreachable()
        self.writes.append(key)
        await super().delete(key)


async def test_concurrent_requests_replay_each_unsent_write_once_and_see_no_outage() -> None:
    primary = FlakyCache()
    outage = Outage(retry_seconds=0.05)
    cache = FailoverCache(primary, outage)
    for i in range(20):
        await cache.set(f"k{i}", {"v": i}, 60)  # Redis away: kept to replay
    await cache.delete("k0")
    primary.down = False
    await asyncio.sleep(0.06)  # time to try Redis again

    # Every request replays first; they used to replay the same key at once (KeyError),
    # which was taken for a Redis outage.
    results = await asyncio.gather(*(cache.get(f"k{i}") for i in range(20)))

    assert not outage.active
    assert results[0] is None
    assert results[1:] == [{"v": i} for i in range(1, 20)]
    assert sorted(primary.writes) == sorted(f"k{i}" for i in range(20))  # each write once


async def test_a_write_that_fails_again_during_replay_stays_queued() -> None:
    primary = FlakyCache()
    outage = Outage(retry_seconds=0.01)
    cache = FailoverCache(primary, outage)
    await cache.set("k", {"v": 1}, 60)
    await asyncio.sleep(0.02)
    await cache.get("k")  # replay fails: still down
    primary.down = False
    await asyncio.sleep(0.02)
    assert await cache.get("k") == {"v": 1}
    assert await primary.get("k") == {"v": 1}
