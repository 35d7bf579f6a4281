"""Quota counters and concurrency slots in Redis (atomic Lua scripts), and the fallback to a
local share of each limit while Redis cannot be reached."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Sequence

from redis.asyncio import Redis

from parley.adapters.redis.failover import Outage
from parley.adapters.redis.script_channel import ScriptChannel
from parley.application.ports.limits import Claim, QuotaStore, Reservation, Settlement

# KEYS: the counters to correct first (deferred settlements, see `RedisQuotaStore`), then
# one per claim. ARGV: now (seconds), the number of corrections, per correction delta and
# ttl (ms), then per claim: amount, limit, ttl (ms), slot id ("" for a counter), sticky (1/0).
# Applies the corrections, checks every claim, then takes them all (on a refusal, only the
# sticky ones before it); returns {refused (1-based, 0 = none), used...}.
_RESERVE = """
local now = tonumber(ARGV[1])
local fixes = tonumber(ARGV[2])
for i = 1, fixes do
  redis.call('INCRBY', KEYS[i], ARGV[1 + 2 * i])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2 + 2 * i]) end
end
local first = 3 + 2 * fixes
local claims = #KEYS - fixes
local function count(i, base)
  local key = KEYS[fixes + i]
  redis.call('INCRBY', key, ARGV[base])
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[base + 2]) end
end
local used = {}
for i = 1, claims do
  local base = first + (i - 1) * 5
  local amount, limit = tonumber(ARGV[base]), tonumber(ARGV[base + 1])
  if ARGV[base + 3] == '' then
    used[i] = tonumber(redis.call('GET', KEYS[fixes + i]) or '0')
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[fixes + i], '-inf', now)
    used[i] = redis.call('ZCARD', KEYS[fixes + i])
  end
  if used[i] + amount > limit then
    local out = {i}
    for j = 1, i do
      local b = first + (j - 1) * 5
      if j < i and ARGV[b + 4] == '1' and ARGV[b + 3] == '' then count(j, b) end
      out[j + 1] = used[j]
    end
    return out
  end
end
local out = {0}
for i = 1, claims do
  local base = first + (i - 1) * 5
  if ARGV[base + 3] == '' then
    count(i, base)
    out[i + 1] = used[i] + tonumber(ARGV[base])
  else
    local ttl = tonumber(ARGV[base + 2])
    redis.call('ZADD', KEYS[fixes + i], now + ttl / 1000, ARGV[base + 3])
    redis.call('PEXPIRE', KEYS[fixes + i], ttl + 1000)
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

#: Deferred corrections, by counter key: [delta, ttl (ms)].
Corrections = dict[str, list[int]]


class RedisQuotaStore:
    """Reservations are one script call each. A settlement's counter corrections are not a
    call of their own: they wait (summed by key) for this replica's next `reserve`, which
    applies them first, in the same atomic script, or at most `settle_delay_seconds` when no
    reservation comes. A Redis round trip costs redis-py about as much CPU as the rest of a
    request's limits work, and this halves them (bench/NOTES.md).

    What the delay changes: this replica's own reservations always see its corrections
    (they travel with them); other replicas see them up to `settle_delay_seconds` late,
    which only moves a token counter by what a reservation over- or under-estimated. Slot
    releases are never deferred: another replica must be able to take a stream slot the
    moment it is free. `flush()` applies what is waiting; `aclose()`, at shutdown, flushes
    and closes the admission script's channel."""

    def __init__(
        self,
        client: Redis,
        prefix: str = "parley:quota:",
        *,
        settle_delay_seconds: float = 0.1,
        retry_seconds: float = 1.0,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._reserve = ScriptChannel(client, _RESERVE)  # once per request: see its module
        self._settle = client.register_script(_SETTLE)
        self._delay = settle_delay_seconds
        self._retry = retry_seconds
        self._pending: Corrections = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """How many counters have a correction waiting."""
        return len(self._pending)

    async def reserve(self, claims: Sequence[Claim]) -> Reservation:
        if not claims:
            return Reservation(None, ())
        fixes, self._pending = self._pending, {}
        keys = list(fixes)
        args: list[str | int | float] = [time.time(), len(fixes)]
        for delta, ttl_ms in fixes.values():
            args += [delta, ttl_ms]
        for claim in claims:
            ttl_ms = max(1, int(claim.ttl_seconds * 1000))
            args += [claim.amount, claim.limit, ttl_ms, claim.slot_id or "", int(claim.sticky)]
        keys += [self._prefix + claim.key for claim in claims]
        try:
            refused, *used = await self._reserve(keys, args)
        except BaseException:
            self._defer(fixes)  # not applied: they wait for the next call
            raise
        return Reservation(
            int(refused) - 1 if int(refused) else None, tuple(int(value) for value in used)
        )

    async def settle(self, settlement: Settlement) -> None:
        fixes: Corrections = {}
        for key, delta, ttl in settlement.adjustments:
            if delta:
                _add(fixes, self._prefix + key, delta, max(1, int(ttl * 1000)))
        if not settlement.slots and self._delay > 0:
            self._defer(fixes)
            return
        # Releasing slots is sent now (and, with no delay, everything), with every
        # correction waiting.
        waiting, self._pending = self._pending, {}
        for key, (delta, ttl_ms) in fixes.items():
            _add(waiting, key, delta, ttl_ms)
        if not waiting and not settlement.slots:
            return
        try:
            await self._send(waiting, settlement.slots)
        except BaseException:
            self._defer(waiting)
            raise

    async def flush(self) -> None:
        """Apply every waiting correction now (after a background flush in progress)."""
        running = self._flushing
        if running is not None and not running.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(running)
        await self._apply_waiting()

    async def aclose(self) -> None:
        """At shutdown: apply what waits, then close the admission script's connection."""
        try:
            await self.flush()
        finally:
            await self._reserve.aclose()

    async def _apply_waiting(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._pending = self._pending, {}
        if not waiting:
            return
        try:
            await self._send(waiting, ())
        except BaseException:
            self._defer(waiting)
            raise

    async def _send(self, fixes: Corrections, slots: Sequence[tuple[str, str]]) -> None:
        keys = [*fixes, *(self._prefix + key for key, _ in slots)]
        args: list[str | int] = [len(fixes)]
        for delta, ttl_ms in fixes.values():
            args += [delta, ttl_ms]
        args += [slot_id for _, slot_id in slots]
        await self._settle(keys=keys, args=args)

    def _defer(self, fixes: Corrections) -> None:
        for key, (delta, ttl_ms) in fixes.items():
            _add(self._pending, key, delta, ttl_ms)
        if self._pending and self._timer is None:
            self._arm(self._delay)

    def _arm(self, delay: float) -> None:
        self._timer = asyncio.get_running_loop().call_later(delay, self._flush_later)

    def _flush_later(self) -> None:
        self._timer = None
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self._flush_in_background())

    async def _flush_in_background(self) -> None:
        try:
            await self._apply_waiting()
        except Exception:
            # Redis did not answer: the corrections wait (the failover store's outage
            # handling speaks for Redis being down); try again a little later.
            if self._timer is None and self._pending:
                self._arm(self._retry)


def _add(fixes: Corrections, key: str, delta: int, ttl_ms: int) -> None:
    entry = fixes.get(key)
    if entry is None:
        fixes[key] = [delta, ttl_ms]
    else:
        entry[0] += delta
        entry[1] = max(entry[1], ttl_ms)


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

    async def aclose(self) -> None:
        try:
            await self._primary.aclose()
        except Exception as error:
            self._failed(error)

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
