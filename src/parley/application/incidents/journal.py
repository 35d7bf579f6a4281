"""What every incident change writes besides the incident itself: a timeline entry and an
audit event in the same transaction, and, after the commit, a notification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from parley.application.identity.audit_events import audit_event
from parley.application.identity.context import ClientInfo
from parley.application.ports.unit_of_work import UnitOfWork
from parley.domain.incidents import Incident, IncidentEvent, IncidentUpdate

AUTOMATIC = ClientInfo()
"""The client of changes nobody made: the circuit watch and the resolver."""


def event_for(was_open: bool, incident: Incident) -> IncidentEvent:
    """RESOLVED for the change that resolved an incident; UPDATED for any other change."""
    return IncidentEvent.RESOLVED if was_open and not incident.is_open else IncidentEvent.UPDATED


async def record(
    uow: UnitOfWork,
    incident: Incident,
    event: IncidentEvent,
    message: str,
    now: datetime,
    *,
    author_id: UUID | None,
    client: ClientInfo = AUTOMATIC,
    **details: Any,
) -> IncidentUpdate:
    """Add the timeline entry and the audit event for a change already applied to
    `incident` (and written, or about to be, in the same unit of work)."""
    update = IncidentUpdate(
        id=uuid.uuid4(),
        incident_id=incident.id,
        at=now,
        status=incident.status,
        message=message,
        author_id=author_id,
    )
    await uow.incident_updates.add(update)
    await uow.audit.append(
        audit_event(
            event.value,
            now,
            client,
            actor_id=author_id,
            target_type="incident",
            target_id=incident.id,
            status=incident.status.value,
            severity=incident.severity.value,
            auto=incident.auto,
            affected_models=list(incident.affected_models),
            **details,
        )
    )
    return update
