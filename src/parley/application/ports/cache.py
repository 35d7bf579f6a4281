"""A small shared cache of JSON values, and fixed-window counters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class Cache(Protocol):
    """Values are JSON-serialisable. In scale-out every replica sees the same values (a replica
    may keep a copy for at most a configured fraction of a second)."""

    async def get(self, key: str) -> Any | None: ...

    async def set(self, key: str, value: Any, ttl_seconds: float) -> None: ...

    async def add(self, key: str, value: Any, ttl_seconds: float) -> bool:
        """Set only when absent; True when this call stored the value."""
        ...

    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class WindowDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: float


class WindowCounter(Protocol):
    """Counts events per key in fixed time windows."""

    async def peek(self, key: str, limit: int, window_seconds: float) -> WindowDecision: ...

    async def hit(self, key: str, limit: int, window_seconds: float) -> WindowDecision:
        """Count one event, then say whether the count is still within the limit."""
        ...
