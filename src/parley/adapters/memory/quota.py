"""In-process quota counters and concurrency slots."""

from __future__ import annotations

import time

from parley.application.ports.limits import Reservation


class MemoryQuotaStore:
    def __init__(self) -> None:
        self._counters: dict[str, tuple[float, int]] = {}
        self._slots: dict[str, dict[str, float]] = {}

    def _value(self, key: str) -> int:
        entry = self._counters.get(key)
        if entry is None:
            return 0
        if entry[0] <= time.monotonic():
            del self._counters[key]
            return 0
        return entry[1]

    async def reserve(self, key: str, amount: int, limit: int, ttl_seconds: float) -> Reservation:
        current = self._value(key)
        if current + amount > limit:
            return Reservation(False, current)
        self._set(key, current + amount, ttl_seconds)
        return Reservation(True, current + amount)

    async def adjust(self, key: str, delta: int, ttl_seconds: float) -> None:
        self._set(key, self._value(key) + delta, ttl_seconds)

    def _set(self, key: str, value: int, ttl_seconds: float) -> None:
        if len(self._counters) > 100_000:
            now = time.monotonic()
            self._counters = {k: v for k, v in self._counters.items() if v[0] > now}
        expires = self._counters.get(key, (time.monotonic() + ttl_seconds, 0))[0]
        self._counters[key] = (expires, value)

    async def acquire_slot(self, key: str, slot_id: str, limit: int, lease_seconds: float) -> bool:
        now = time.monotonic()
        slots = {s: until for s, until in self._slots.get(key, {}).items() if until > now}
        if len(slots) >= limit:
            self._slots[key] = slots
            return False
        slots[slot_id] = now + lease_seconds
        self._slots[key] = slots
        return True

    async def release_slot(self, key: str, slot_id: str) -> None:
        slots = self._slots.get(key)
        if slots is not None:
            slots.pop(slot_id, None)
            if not slots:
                del self._slots[key]
