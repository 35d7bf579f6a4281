"""Incidents and their timelines in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.keyset import older_than
from parley.adapters.sql.tables import incident_updates, incidents
from parley.application.pagination import Keyset
from parley.domain.errors import Conflict
from parley.domain.incidents import Incident, IncidentStatus, IncidentUpdate, Severity


def _incident(row: Row[Any]) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        severity=Severity(row.severity),
        status=IncidentStatus(row.status),
        affected_models=list(row.affected_models),
        created_at=row.created_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
        auto=row.auto,
        source_model=row.source_model,
    )


def _values(incident: Incident) -> dict[str, Any]:
    return {
        "title": incident.title,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "affected_models": list(incident.affected_models),
        "auto": incident.auto,
        "source_model": incident.source_model,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
        "resolved_at": incident.resolved_at,
    }


class SqlIncidentRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, incident: Incident) -> bool:
        try:
            async with self._sql.begin_nested():
                await self._sql.execute(
                    insert(incidents).values(id=incident.id, **_values(incident))
                )
        except IntegrityError as error:
            if incident.auto:
                return False  # the partial unique index: one is open for this model already
            raise Conflict() from error
        return True

    async def get(self, incident_id: UUID, *, for_update: bool = False) -> Incident | None:
        statement = select(incidents).where(incidents.c.id == incident_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self._sql.execute(statement)).first()
        return _incident(row) if row else None

    async def update(self, incident: Incident, *, if_updated_at: datetime | None = None) -> bool:
        statement = update(incidents).where(incidents.c.id == incident.id)
        if if_updated_at is not None:
            statement = statement.where(
                incidents.c.updated_at == if_updated_at, incidents.c.resolved_at.is_(None)
            )
        try:
            async with self._sql.begin_nested():
                result = await self._sql.execute(statement.values(**_values(incident)))
        except IntegrityError as error:
            raise Conflict("This model already has an open automatic incident.") from error
        return bool(getattr(result, "rowcount", 0))

    async def open_automatic(self, model: str | None = None) -> Sequence[Incident]:
        statement = select(incidents).where(
            incidents.c.auto.is_(True), incidents.c.resolved_at.is_(None)
        )
        if model is not None:
            statement = statement.where(incidents.c.source_model == model)
        statement = statement.order_by(incidents.c.created_at, incidents.c.id)
        return [_incident(row) for row in await self._sql.execute(statement)]

    async def page(
        self, resolved: bool | None, after: Keyset | None, limit: int
    ) -> Sequence[Incident]:
        statement = select(incidents)
        if resolved is True:
            statement = statement.where(incidents.c.resolved_at.is_not(None))
        elif resolved is False:
            statement = statement.where(incidents.c.resolved_at.is_(None))
        if after is not None:
            statement = statement.where(older_than(incidents.c.created_at, incidents.c.id, after))
        statement = statement.order_by(incidents.c.created_at.desc(), incidents.c.id.desc())
        return [_incident(row) for row in await self._sql.execute(statement.limit(limit))]


class SqlIncidentTimeline:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, entry: IncidentUpdate) -> None:
        await self._sql.execute(
            insert(incident_updates).values(
                id=entry.id,
                incident_id=entry.incident_id,
                at=entry.at,
                status=entry.status.value,
                message=entry.message,
                author_id=entry.author_id,
            )
        )

    async def of(self, incident_id: UUID) -> Sequence[IncidentUpdate]:
        statement = (
            select(incident_updates)
            .where(incident_updates.c.incident_id == incident_id)
            .order_by(incident_updates.c.at, incident_updates.c.id)
        )
        return [
            IncidentUpdate(
                id=row.id,
                incident_id=row.incident_id,
                at=row.at,
                status=IncidentStatus(row.status),
                message=row.message,
                author_id=row.author_id,
            )
            for row in await self._sql.execute(statement)
        ]
