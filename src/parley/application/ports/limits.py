"""Atomic counters for limits and quotas, shared by every replica in scale-out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from parley.domain.limits import LimitOverride


@dataclass(frozen=True, slots=True)
class Reservation:
    allowed: bool
    used: int


class QuotaStore(Protocol):
    """Counters whose keys name their window (the caller puts the minute, day or month in
    the key); `ttl_seconds` only bounds how long a counter is kept."""

    async def reserve(self, key: str, amount: int, limit: int, ttl_seconds: float) -> Reservation:
        """Add `amount` to the counter only if the result stays within `limit`."""
        ...

    async def adjust(self, key: str, delta: int, ttl_seconds: float) -> None:
        """Add `delta` (may be negative) to the counter, unconditionally."""
        ...

    async def acquire_slot(self, key: str, slot_id: str, limit: int, lease_seconds: float) -> bool:
        """Take one of `limit` concurrent slots; a slot not released within its lease frees
        itself (a replica that died does not leak slots)."""
        ...

    async def release_slot(self, key: str, slot_id: str) -> None: ...


class LimitOverrides(Protocol):
    """Per-user and per-key overrides, cached in process."""

    async def for_user(self, user_id: UUID) -> LimitOverride | None: ...

    async def for_api_key(self, api_key_id: UUID) -> LimitOverride | None: ...


class LimitOverrideRepository(Protocol):
    """Overrides as stored: the fields an operator set, by subject ("user" or "api_key")."""

    async def get(self, subject_type: str, subject_id: UUID) -> dict[str, Any] | None: ...

    async def put(self, subject_type: str, subject_id: UUID, values: dict[str, Any]) -> None: ...

    async def delete(self, subject_type: str, subject_id: UUID) -> None: ...
