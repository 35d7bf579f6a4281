"""Admins open incidents, change their status or severity, and post updates. Every change
adds a timeline entry, writes an audit event and, after the commit, notifies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from parley.application.identity.context import ClientInfo
from parley.application.incidents.journal import event_for, record
from parley.application.models.queries import require_admin
from parley.application.ports.clock import Clock
from parley.application.ports.incidents import IncidentNotifier
from parley.application.ports.model_lookup import ModelLookup
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.domain.errors import FieldError, NotFound, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.incidents import (
    Incident,
    IncidentDetail,
    IncidentEvent,
    IncidentStatus,
    Severity,
)


@dataclass(frozen=True, slots=True)
class NewIncident:
    title: str
    severity: Severity
    message: str
    affected_models: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """The only fields an admin may change; None leaves one as it is. `message` is the
    timeline entry's text (a default one says what changed)."""

    status: IncidentStatus | None = None
    severity: Severity | None = None
    message: str | None = None


async def _detail(uow: UnitOfWork, incident: Incident) -> IncidentDetail:
    return IncidentDetail(incident, list(await uow.incident_updates.of(incident.id)))


class CreateIncident:
    """Opens an incident (status investigating) with its first timeline entry. Raises
    `PermissionDenied` for non-admins, `ValidationFailed` for an unknown model name."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        models: ModelLookup,
        notifier: IncidentNotifier,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._models = models
        self._notifier = notifier
        self._clock = clock

    async def __call__(
        self, principal: Principal, new: NewIncident, client: ClientInfo
    ) -> IncidentDetail:
        require_admin(principal)
        affected = list(dict.fromkeys(new.affected_models))
        errors = [
            FieldError(("body", "affected_models", index), f"There is no model named {name!r}.")
            for index, name in enumerate(affected)
            if await self._models.get(name) is None
        ]
        if errors:
            raise ValidationFailed(errors, errors[0].message)
        now = self._clock.now()
        incident = Incident(
            id=uuid.uuid4(),
            title=new.title,
            severity=new.severity,
            status=IncidentStatus.INVESTIGATING,
            affected_models=affected,
            created_at=now,
            updated_at=now,
        )
        async with self._uow_factory() as uow:
            await uow.incidents.add(incident)
            update = await record(
                uow,
                incident,
                IncidentEvent.OPENED,
                new.message,
                now,
                author_id=principal.user_id,
                client=client,
            )
            detail = await _detail(uow, incident)
            await uow.commit()
        self._notifier.publish(IncidentEvent.OPENED, incident, update)
        return detail


class _Changer:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, notifier: IncidentNotifier, clock: Clock
    ) -> None:
        self._uow_factory = uow_factory
        self._notifier = notifier
        self._clock = clock

    async def _apply(
        self, principal: Principal, incident_id: UUID, change: IncidentChange, client: ClientInfo
    ) -> IncidentDetail:
        require_admin(principal)
        now = self._clock.now()
        async with self._uow_factory() as uow:
            incident = await uow.incidents.get(incident_id, for_update=True)
            if incident is None:
                raise NotFound("No such incident.")
            was_open = incident.is_open
            before = {"status": incident.status.value, "severity": incident.severity.value}
            if change.severity is not None:
                incident.severity = change.severity
            if change.status is not None:
                incident.move_to(change.status, now)
            incident.updated_at = now
            await uow.incidents.update(incident)
            event = event_for(was_open, incident)
            message = change.message or _describe(before, incident)
            update = await record(
                uow,
                incident,
                event,
                message,
                now,
                author_id=principal.user_id,
                client=client,
                before=before,
            )
            detail = await _detail(uow, incident)
            await uow.commit()
        self._notifier.publish(event, incident, update)
        return detail


def _describe(before: dict[str, str], incident: Incident) -> str:
    changes = []
    if before["status"] != incident.status.value:
        changes.append(f"Status changed to {incident.status.value}.")
    if before["severity"] != incident.severity.value:
        changes.append(f"Severity changed to {incident.severity.value}.")
    return " ".join(changes) or "No change."


class ChangeIncident(_Changer):
    """Changes an incident's status and/or severity (resolving stamps `resolved_at`; any
    other status reopens it). Raises `PermissionDenied`, `NotFound`, `ValidationFailed` when
    nothing is to change, and `Conflict` when reopening an automatic incident would make a
    second open one for its model."""

    async def __call__(
        self, principal: Principal, incident_id: UUID, change: IncidentChange, client: ClientInfo
    ) -> IncidentDetail:
        if change.status is None and change.severity is None:
            message = "Give a status or a severity to change."
            raise ValidationFailed([FieldError(("body", "status"), message)], message)
        return await self._apply(principal, incident_id, change, client)


class PostIncidentUpdate(_Changer):
    """Adds a timeline entry, optionally moving the incident to `status`. Raises
    `PermissionDenied` or `NotFound`."""

    async def __call__(
        self,
        principal: Principal,
        incident_id: UUID,
        message: str,
        status: IncidentStatus | None,
        client: ClientInfo,
    ) -> IncidentDetail:
        change = IncidentChange(status=status, message=message)
        return await self._apply(principal, incident_id, change, client)
