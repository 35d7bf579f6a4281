"""Audit events in SQL: appended, never updated."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from parley.adapters.sql.tables import audit_logs
from parley.domain.audit import AuditEvent


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(self, event: AuditEvent) -> None:
        await self._session.execute(
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
