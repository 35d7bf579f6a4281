"""Audit events in SQL: appended, never updated, read back newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, insert, select

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.keyset import older_than
from parley.adapters.sql.tables import audit_logs
from parley.application.pagination import Keyset
from parley.application.ports.audit import AuditQuery
from parley.domain.audit import AuditEvent, Outcome


class SqlAuditLog:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def append(self, event: AuditEvent) -> None:
        await self._sql.execute(
            insert(audit_logs).values(
                id=event.id,
                at=event.at,
                actor_id=event.actor_id,
                actor_ip=event.actor_ip,
                action=event.action,
                target_type=event.target_type,
                target_id=event.target_id,
                outcome=event.outcome.value,
                details=event.details,
            )
        )


class SqlAuditReader:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def page(
        self, query: AuditQuery, after: Keyset | None, limit: int
    ) -> Sequence[AuditEvent]:
        statement = _filtered(select(audit_logs), query)
        if after is not None:
            statement = statement.where(older_than(audit_logs.c.at, audit_logs.c.id, after))
        statement = statement.order_by(audit_logs.c.at.desc(), audit_logs.c.id.desc()).limit(limit)
        return [_event_from_row(row) for row in await self._sql.execute(statement)]


def _filtered(statement: Select[Any], query: AuditQuery) -> Select[Any]:
    if query.actor_id is not None:
        statement = statement.where(audit_logs.c.actor_id == query.actor_id)
    if query.action is not None:
        statement = statement.where(audit_logs.c.action == query.action)
    if query.target_type is not None:
        statement = statement.where(audit_logs.c.target_type == query.target_type)
    if query.target_id is not None:
        statement = statement.where(audit_logs.c.target_id == query.target_id)
    if query.since is not None:
        statement = statement.where(audit_logs.c.at >= query.since)
    if query.until is not None:
        statement = statement.where(audit_logs.c.at < query.until)
    return statement


def _event_from_row(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        action=row.action,
        outcome=Outcome(row.outcome),
        actor_id=row.actor_id,
        actor_ip=row.actor_ip,
        target_type=row.target_type,
        target_id=row.target_id,
        details=dict(row.details or {}),
    )
