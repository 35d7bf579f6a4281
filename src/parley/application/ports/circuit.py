"""Circuit breakers, one per model config, and who hears of their transitions."""

from __future__ import annotations

from typing import Protocol

from parley.domain.circuit import Circuit


class CircuitBreaker(Protocol):
    """closed → open after N consecutive failures or a failure ratio over a window →
    half-open after a cool-down (one probe at a time) → closed on the probe's success.
    Every transition is reported to the listener exactly once, by the replica that made it."""

    async def allow(self, name: str) -> tuple[bool, float]:
        """(may call now, seconds until it may when not)."""
        ...

    async def record_success(self, name: str) -> None: ...

    async def record_failure(self, name: str) -> None: ...

    async def state(self, name: str) -> Circuit: ...


class CircuitListener(Protocol):
    async def circuit_changed(self, name: str, old: Circuit, new: Circuit) -> None: ...
