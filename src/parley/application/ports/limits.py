"""Atomic counters for limits and quotas, shared by every replica in scale-out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from parley.domain.limits import LimitOverride
from parley.domain.values import cheap_init


class Claim(NamedTuple):
    """One thing a request takes: `amount` more on a counter that must stay within `limit`
    (kept `ttl_seconds`), or, with `slot_id`, one of `limit` concurrent slots held for at most
    `ttl_seconds` (a slot that is never released frees itself: a dead replica leaks none).
    A `sticky` counter claim that fits is taken even when a later claim refuses the request
    (requests count toward requests/minute whether they are admitted or not).

    A named tuple, not a frozen dataclass like the others: every request makes one per
    limit, and a frozen dataclass costs about four times as much to build."""

    key: str
    amount: int
    limit: int
    ttl_seconds: float
    slot_id: str | None = None
    sticky: bool = False


@cheap_init
@dataclass(frozen=True, slots=True)
class Reservation:
    """`refused`: the index of the first claim that did not fit (nothing was taken but the
    sticky claims before it), or None (everything was). `used`: each claim's counter after the reservation (before it, when
    refused); a slot claim's entry is its slots in use."""

    refused: int | None
    used: tuple[int, ...]


@cheap_init
@dataclass(frozen=True, slots=True)
class Settlement:
    """What a finished request gives back: counter corrections (key, delta, ttl) and the
    slots it held (key, slot id)."""

    adjustments: tuple[tuple[str, int, float], ...] = ()
    slots: tuple[tuple[str, str], ...] = ()


class QuotaStore(Protocol):
    """Counters whose keys name their window (the caller puts the minute, day or month in
    the key), and concurrency slots. Each call is one atomic step (one round-trip in Redis):
    a request is admitted with one `reserve` and settled with one `settle`. A store may defer
    a settlement's counter corrections (never its slot releases) to its next `reserve`, which
    then applies them first in the same step, or for a fraction of a second; `aclose` applies
    whatever is deferred."""

    async def reserve(self, claims: Sequence[Claim]) -> Reservation:
        """Take every claim, or, if one does not fit, only the sticky ones before it."""
        ...

    async def settle(self, settlement: Settlement) -> None:
        """Apply the corrections (deltas may be negative) and release the slots."""
        ...

    async def aclose(self) -> None:
        """At shutdown: apply every deferred correction, release connections."""
        ...


class LimitOverrides(Protocol):
    """Per-user and per-key overrides, cached in process."""

    async def for_user(self, user_id: UUID) -> LimitOverride | None: ...

    async def for_api_key(self, api_key_id: UUID) -> LimitOverride | None: ...


class LimitOverrideRepository(Protocol):
    """Overrides as stored: the fields an operator set, by subject ("user" or "api_key")."""

    async def get(self, subject_type: str, subject_id: UUID) -> dict[str, Any] | None: ...

    async def put(self, subject_type: str, subject_id: UUID, values: dict[str, Any]) -> None: ...

    async def delete(self, subject_type: str, subject_id: UUID) -> None: ...
