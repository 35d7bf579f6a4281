"""Reading incidents: any signed-in caller may."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from parley.application.pagination import Keyset, Page, decode_cursor, page_of
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import NotFound
from parley.domain.identity import Principal
from parley.domain.incidents import Incident, IncidentDetail

MAX_LIMIT = 200


class IncidentFilter(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ListIncidents:
    """Incidents newest first, one page at a time; `status` open (not yet resolved) or
    resolved, or both when None. Raises `ValidationFailed` for a foreign cursor."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(
        self,
        principal: Principal,
        status: IncidentFilter | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Incident]:
        after = decode_cursor(cursor)
        limit = max(1, min(limit, MAX_LIMIT))
        resolved = None if status is None else status is IncidentFilter.RESOLVED
        async with self._uow_factory() as uow:
            found = await uow.incidents.page(resolved, after, limit + 1)
        return page_of(found, limit, lambda incident: Keyset(incident.created_at, incident.id))


class GetIncident:
    """One incident with its timeline, oldest entry first. Raises `NotFound`."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal, incident_id: UUID) -> IncidentDetail:
        async with self._uow_factory() as uow:
            incident = await uow.incidents.get(incident_id)
            if incident is None:
                raise NotFound("No such incident.")
            updates = await uow.incident_updates.of(incident_id)
        return IncidentDetail(incident, list(updates))
