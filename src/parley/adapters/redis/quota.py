"""Quota counters and concurrency slots in Redis (atomic Lua scripts), and the fallback to a
local share of each limit while Redis cannot be reached."""

from __future__ import annotations

import math
import time

from redis.asyncio import Redis

from parley.adapters.redis.failover import Outage
from parley.application.ports.limits import QuotaStore, Reservation

_RESERVE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if current + amount > tonumber(ARGV[2]) then return {0, current} end
local value = redis.call('INCRBY', KEYS[1], amount)
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, value}
"""
_ADJUST = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""
_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) * 1000) + 1000)
return 1
"""


class RedisQuotaStore:
    def __init__(self, client: Redis, prefix: str = "parley:quota:") -> None:
        self._client = client
        self._prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._adjust = client.register_script(_ADJUST)
        self._acquire = client.register_script(_ACQUIRE)

    async def reserve(self, key: str, amount: int, limit: int, ttl_seconds: float) -> Reservation:
        allowed, used = await self._reserve(
            keys=[self._prefix + key], args=[amount, limit, int(ttl_seconds * 1000)]
        )
        return Reservation(bool(allowed), int(used))

    async def adjust(self, key: str, delta: int, ttl_seconds: float) -> None:
        await self._adjust(keys=[self._prefix + key], args=[delta, int(ttl_seconds * 1000)])

    async def acquire_slot(self, key: str, slot_id: str, limit: int, lease_seconds: float) -> bool:
        acquired = await self._acquire(
            keys=[self._prefix + key], args=[time.time(), limit, lease_seconds, slot_id]
        )
        return bool(acquired)

    async def release_slot(self, key: str, slot_id: str) -> None:
        await self._client.zrem(self._prefix + key, slot_id)


class FailoverQuotaStore:
    """The shared store while it answers; a local share of each limit while it does not.

    With N replicas sharing a limit L, each replica enforces max(1, floor(L * share)) on its
    own while Redis is unreachable (share defaults to 1/N from PARLEY_REPLICAS), so the
    whole deployment stays close to L instead of blocking or running unlimited. The shared
    store is tried again every `retry_seconds`; from then on limits are global again."""

    def __init__(
        self, primary: QuotaStore, fallback: QuotaStore, local_share: float, outage: Outage
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._share = local_share
        self._outage = outage

    @property
    def degraded(self) -> bool:
        return self._outage.active

    def _local_limit(self, limit: int) -> int:
        return max(1, math.floor(limit * self._share))

    def _failed(self, error: Exception) -> None:
        self._outage.failed(error)

    async def reserve(self, key: str, amount: int, limit: int, ttl_seconds: float) -> Reservation:
        if not self.degraded:
            try:
                return await self._primary.reserve(key, amount, limit, ttl_seconds)
            except Exception as error:
                self._failed(error)
        return await self._fallback.reserve(key, amount, self._local_limit(limit), ttl_seconds)

    async def adjust(self, key: str, delta: int, ttl_seconds: float) -> None:
        if not self.degraded:
            try:
                await self._primary.adjust(key, delta, ttl_seconds)
                return
            except Exception as error:
                self._failed(error)
        await self._fallback.adjust(key, delta, ttl_seconds)

    async def acquire_slot(self, key: str, slot_id: str, limit: int, lease_seconds: float) -> bool:
        if not self.degraded:
            try:
                return await self._primary.acquire_slot(key, slot_id, limit, lease_seconds)
            except Exception as error:
                self._failed(error)
        return await self._fallback.acquire_slot(
            key, slot_id, self._local_limit(limit), lease_seconds
        )

    async def release_slot(self, key: str, slot_id: str) -> None:
        # A slot lives where it was taken; releasing in both is harmless.
        try:
            await self._primary.release_slot(key, slot_id)
        except Exception as error:
            self._failed(error)
        await self._fallback.release_slot(key, slot_id)
