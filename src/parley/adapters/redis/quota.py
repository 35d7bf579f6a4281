"""Quota counters and concurrency slots in Redis (atomic Lua scripts), and the fallback to a
local share of each limit while Redis cannot be reached."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from redis.asyncio import Redis

from parley.adapters.redis.failover import Outage
from parley.application.ports.limits import Claim, QuotaStore, Reservation, Settlement

# KEYS: one per claim. ARGV: now (seconds), then per claim: amount, limit, ttl (ms), slot id
# ("" for a counter), sticky (1/0). Checks every claim, then takes them all (on a refusal,
# only the sticky ones before it); returns {refused (1-based, 0 = none), used...}.
_RESERVE = """
local now = tonumber(ARGV[1])
local function count(i, base)
  redis.call('INCRBY', KEYS[i], ARGV[base + 1])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[base + 3]) end
end
local used = {}
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 5
  local amount, limit = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  if ARGV[base + 4] == '' then
    used[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    used[i] = redis.call('ZCARD', KEYS[i])
  end
  if used[i] + amount > limit then
    local out = {i}
    for j = 1, i do
      local b = 1 + (j - 1) * 5
      if j < i and ARGV[b + 5] == '1' and ARGV[b + 4] == '' then count(j, b) end
      out[j + 1] = used[j]
    end
    return out
  end
end
local out = {0}
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 5
  if ARGV[base + 4] == '' then
    count(i, base)
    out[i + 1] = used[i] + tonumber(ARGV[base + 1])
  else
    local ttl = tonumber(ARGV[base + 3])
    redis.call('ZADD', KEYS[i], now + ttl / 1000, ARGV[base + 4])
    redis.call('PEXPIRE', KEYS[i], ttl + 1000)
    out[i + 1] = used[i] + 1
  end
end
return out
"""
# KEYS: counters to correct, then slot sets. ARGV: the number of counters, then per counter
# delta and ttl (ms), then per slot set the slot id.
_SETTLE = """
local counters = tonumber(ARGV[1])
for i = 1, counters do
  local delta, ttl = ARGV[2 * i], ARGV[2 * i + 1]
  redis.call('INCRBY', KEYS[i], delta)
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
end
for i = counters + 1, #KEYS do
  redis.call('ZREM', KEYS[i], ARGV[2 * counters + 1 + (i - counters)])
end
return 0
"""


class RedisQuotaStore:
    def __init__(self, client: Redis, prefix: str = "parley:quota:") -> None:
        self._client = client
        self._prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)

    async def reserve(self, claims: Sequence[Claim]) -> Reservation:
        if not claims:
            return Reservation(None, ())
        args: list[str | int | float] = [time.time()]
        for claim in claims:
            ttl_ms = max(1, int(claim.ttl_seconds * 1000))
            args += [claim.amount, claim.limit, ttl_ms, claim.slot_id or "", int(claim.sticky)]
        refused, *used = await self._reserve(
            keys=[self._prefix + claim.key for claim in claims], args=args
        )
        return Reservation(
            int(refused) - 1 if int(refused) else None, tuple(int(value) for value in used)
        )

    async def settle(self, settlement: Settlement) -> None:
        changes = [(key, delta, ttl) for key, delta, ttl in settlement.adjustments if delta]
        if not changes and not settlement.slots:
            return
        keys = [self._prefix + key for key, _, _ in changes]
        keys += [self._prefix + key for key, _ in settlement.slots]
        args: list[str | int] = [len(changes)]
        for _, delta, ttl in changes:
            args += [delta, max(1, int(ttl * 1000))]
        args += [slot_id for _, slot_id in settlement.slots]
        await self._settle(keys=keys, args=args)


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

    async def reserve(self, claims: Sequence[Claim]) -> Reservation:
        if not self.degraded:
            try:
                return await self._primary.reserve(claims)
            except Exception as error:
                self._failed(error)
        local = [claim._replace(limit=self._local_limit(claim.limit)) for claim in claims]
        return await self._fallback.reserve(local)

    async def settle(self, settlement: Settlement) -> None:
        if not self.degraded:
            try:
                await self._primary.settle(settlement)
            except Exception as error:
                self._failed(error)
            else:
                # A slot taken locally during an outage is released locally too; releasing
                # one that is not there is harmless.
                await self._fallback.settle(Settlement(slots=settlement.slots))
                return
        await self._fallback.settle(settlement)
