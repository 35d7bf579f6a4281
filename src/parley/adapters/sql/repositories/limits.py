"""Per-user and per-key limit overrides in SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.tables import limit_overrides


class SqlLimitOverrideRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def get(self, subject_type: str, subject_id: UUID) -> dict[str, Any] | None:
        query = select(limit_overrides.c.limits).where(
            limit_overrides.c.subject_type == subject_type,
            limit_overrides.c.subject_id == subject_id,
        )
        value = (await self._sql.execute(query)).scalar_one_or_none()
        return dict(value) if value is not None else None

    async def put(self, subject_type: str, subject_id: UUID, values: dict[str, Any]) -> None:
        await self.delete(subject_type, subject_id)
        await self._sql.execute(
            limit_overrides.insert().values(
                subject_type=subject_type,
                subject_id=subject_id,
                limits=values,
                updated_at=datetime.now(UTC),
            )
        )

    async def delete(self, subject_type: str, subject_id: UUID) -> None:
        await self._sql.execute(
            delete(limit_overrides).where(
                limit_overrides.c.subject_type == subject_type,
                limit_overrides.c.subject_id == subject_id,
            )
        )
