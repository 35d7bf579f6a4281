"""In-process quota counters and concurrency slots."""

from __future__ import annotations

import time
from collections.abc import Sequence

from parley.application.ports.limits import Claim, Reservation, Settlement


class MemoryQuotaStore:
    def __init__(self) -> None:
        self._counters: dict[str, tuple[float, int]] = {}
        self._slots: dict[str, dict[str, float]] = {}

    async def reserve(self, claims: Sequence[Claim]) -> Reservation:
        now = time.monotonic()
        counters = self._counters
        used: list[int] = []
        for index, claim in enumerate(claims):
            if claim.slot_id is not None:
                used.append(len(self._live_slots(claim.key, now)))
            else:
                entry = counters.get(claim.key)
                used.append(entry[1] if entry is not None and entry[0] > now else 0)
            if used[index] + claim.amount > claim.limit:
                self._take_sticky(claims[:index], now)
                return Reservation(index, tuple(used))
        for index, claim in enumerate(claims):
            used[index] += claim.amount
            if claim.slot_id is not None:
                self._slots.setdefault(claim.key, {})[claim.slot_id] = now + claim.ttl_seconds
            else:
                self._set(claim.key, used[index], claim.ttl_seconds, now)
        return Reservation(None, tuple(used))

    def _take_sticky(self, claims: Sequence[Claim], now: float) -> None:
        for claim in claims:
            if claim.sticky and claim.slot_id is None:
                self._set(
                    claim.key, self._value(claim.key, now) + claim.amount, claim.ttl_seconds, now
                )

    async def settle(self, settlement: Settlement) -> None:
        now = time.monotonic()
        for key, delta, ttl in settlement.adjustments:
            if delta:
                self._set(key, self._value(key, now) + delta, ttl, now)
        for key, slot_id in settlement.slots:
            slots = self._slots.get(key)
            if slots is not None:
                slots.pop(slot_id, None)
                if not slots:
                    del self._slots[key]

    async def aclose(self) -> None:
        """Nothing is ever deferred here, nor held open."""

    def _value(self, key: str, now: float) -> int:
        entry = self._counters.get(key)
        if entry is None:
            return 0
        if entry[0] <= now:
            del self._counters[key]
            return 0
        return entry[1]

    def _set(self, key: str, value: int, ttl_seconds: float, now: float) -> None:
        """`value` under `key`, keeping a live counter's expiry (a window's end stays put)."""
        if len(self._counters) > 100_000:
            self._counters = {k: v for k, v in self._counters.items() if v[0] > now}
        entry = self._counters.get(key)
        expires = entry[0] if entry is not None and entry[0] > now else now + ttl_seconds
        self._counters[key] = (expires, value)

    def _live_slots(self, key: str, now: float) -> dict[str, float]:
        slots = self._slots.get(key)
        if slots is None:
            return {}
        live = {s: until for s, until in slots.items() if until > now}
        if len(live) != len(slots):
            self._slots[key] = live
        return live
