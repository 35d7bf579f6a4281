"""Where audit events go, and how they are read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from parley.application.pagination import Keyset
from parley.domain.audit import AuditEvent


class AuditLog(Protocol):
    async def append(self, event: AuditEvent) -> None:
        """Add one event. Events are never changed or removed through this port."""
        ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of the audit list; unset ones match every event. `since` is inclusive,
    `until` exclusive."""

    actor_id: UUID | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditReader(Protocol):
    async def page(
        self, query: AuditQuery, after: Keyset | None, limit: int
    ) -> Sequence[AuditEvent]:
        """At most `limit` events matching `query`, newest first by (at, id), strictly after
        `after` in that order. Callers wanting every event page through with short
        transactions, so memory stays bounded by `limit` whatever the table's size."""
        ...
