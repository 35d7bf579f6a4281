"""Where incidents and their timelines are kept, and who is told of changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from parley.application.pagination import Keyset
from parley.domain.incidents import Incident, IncidentEvent, IncidentUpdate


class IncidentRepository(Protocol):
    async def add(self, incident: Incident) -> bool:
        """Store a new incident. False (nothing stored) when it is automatic and another
        unresolved automatic incident for the same model exists — the one-per-outage guard,
        which holds across replicas."""
        ...

    async def get(self, incident_id: UUID, *, for_update: bool = False) -> Incident | None: ...

    async def update(self, incident: Incident, *, if_updated_at: datetime | None = None) -> bool:
        """Write the incident's fields. With `if_updated_at`, only when the stored row still
        has that `updated_at` (nobody changed it since it was read); returns whether it was
        written. Raises `Conflict` when reopening would make a second open automatic incident
        for one model."""
        ...

    async def open_automatic(self, model: str | None = None) -> Sequence[Incident]:
        """Unresolved automatic incidents (for `model`, when given), oldest first."""
        ...

    async def page(
        self, resolved: bool | None, after: Keyset | None, limit: int
    ) -> Sequence[Incident]:
        """Newest first by (created_at, id), strictly after `after`; `resolved` filters."""
        ...


class IncidentTimeline(Protocol):
    async def add(self, update: IncidentUpdate) -> None: ...

    async def of(self, incident_id: UUID) -> Sequence[IncidentUpdate]:
        """The incident's updates, oldest first."""
        ...


class IncidentNotifier(Protocol):
    """Tells the outside world (a webhook) about incident changes. `publish` returns at
    once: delivery happens in the background, and its failures are logged, never raised."""

    def publish(self, event: IncidentEvent, incident: Incident, update: IncidentUpdate) -> None:
        """Announce `event` for `incident`, with the timeline entry the change added."""
        ...


class SilentNotifier:
    def publish(self, event: IncidentEvent, incident: Incident, update: IncidentUpdate) -> None:
        return None
