"""The shared cache and window counters on a real Redis."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from parley.adapters.redis.cache import RedisCache, RedisWindowCounter


async def test_cache_roundtrip_add_if_absent_and_expiry(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    cache = RedisCache(client, prefix="t:", local_ttl_seconds=0)
    try:
        assert await cache.get("a") is None
        assert await cache.add("a", {"x": 1}, 10)
        assert not await cache.add("a", {"x": 2}, 10)
        assert await cache.get("a") == {"x": 1}
        await cache.set("a", {"x": 3}, 0.2)
        assert await cache.get("a") == {"x": 3}
        await asyncio.sleep(0.3)
        assert await cache.get("a") is None
    finally:
        await client.aclose()


async def test_a_write_on_one_replica_reaches_another_within_the_local_ttl(redis_url: str) -> None:
    one, two = Redis.from_url(redis_url), Redis.from_url(redis_url)
    replica_one = RedisCache(one, prefix="t:", local_ttl_seconds=0.3)
    replica_two = RedisCache(two, prefix="t:", local_ttl_seconds=0.3)
    try:
        await replica_one.set("session", {"active": True}, 60)
        assert await replica_two.get("session") == {"active": True}  # now copied locally
        await replica_one.set("session", {"active": False}, 60)
        assert await replica_one.get("session") == {"active": False}  # writer sees it at once
        await asyncio.sleep(0.35)
        assert await replica_two.get("session") == {"active": False}
    finally:
        await one.aclose()
        await two.aclose()


async def test_window_counter_counts_across_clients(redis_url: str) -> None:
    one, two = Redis.from_url(redis_url), Redis.from_url(redis_url)
    counters = [RedisWindowCounter(one), RedisWindowCounter(two)]
    try:
        decisions = [await counters[i % 2].hit("login:x", 3, 60) for i in range(5)]
        assert [d.allowed for d in decisions] == [True, True, True, False, False]
        peek = await counters[0].peek("login:x", 3, 60)
        assert not peek.allowed and peek.remaining == 0 and 0 < peek.reset_after <= 60
    finally:
        await one.aclose()
        await two.aclose()
