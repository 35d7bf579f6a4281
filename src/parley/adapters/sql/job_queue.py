"""The jobs table as a queue, on PostgreSQL and SQLite alike.

Claiming is one `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`: on
PostgreSQL concurrent claimers skip each other's locked rows, so no two get the same job;
on SQLite the clause is not rendered and every write transaction holds the one database
write lock (`BEGIN IMMEDIATE`, see engine.py), which serialises claimers just the same.
The outer `status = 'queued'` re-check makes the claim safe even if the sub-select raced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.adapters.sql.repositories.jobs import job_from_row, job_values
from parley.adapters.sql.tables import jobs
from parley.application.ports.clock import Clock
from parley.domain.jobs import Job, JobStatus

LOST_WORKER_ERROR = "The worker running this job stopped before it finished."


class SqlJobQueue:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._wake = asyncio.Event()

    async def enqueue(self, job: Job) -> None:
        async with self._session_factory() as session:
            await session.execute(insert(jobs).values(**job_values(job)))
            await session.commit()
        self.nudge()

    def nudge(self) -> None:
        self._wake.set()

    async def wait_for_work(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            return
        finally:
            self._wake.clear()

    async def claim(self, worker_id: str, lease: timedelta) -> Job | None:
        now = self._clock.now()
        due = (
            select(jobs.c.id)
            .where(jobs.c.status == JobStatus.QUEUED.value, jobs.c.run_at <= now)
            .order_by(jobs.c.run_at, jobs.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(jobs)
            .where(jobs.c.id == due, jobs.c.status == JobStatus.QUEUED.value)
            .values(
                status=JobStatus.RUNNING.value,
                locked_by=worker_id,
                locked_until=now + lease,
                attempts=jobs.c.attempts + 1,
                updated_at=now,
            )
            .returning(*jobs.c)
        )
        async with self._session_factory() as session:
            row = (await session.execute(statement)).first()
            await session.commit()
        return job_from_row(row) if row else None

    async def renew(self, job_id: UUID, worker_id: str, lease: timedelta) -> bool:
        now = self._clock.now()
        return await self._update_held(job_id, worker_id, locked_until=now + lease)

    async def succeed(self, job_id: UUID, worker_id: str, result: Mapping[str, Any]) -> None:
        now = self._clock.now()
        await self._update_held(
            job_id,
            worker_id,
            status=JobStatus.SUCCEEDED.value,
            result=dict(result),
            error=None,
            finished_at=now,
            locked_by=None,
            locked_until=None,
            updated_at=now,
        )

    async def fail(
        self, job_id: UUID, worker_id: str, error: str, retry_at: datetime | None
    ) -> None:
        now = self._clock.now()
        values: dict[str, Any] = {
            "error": error[:4000],
            "locked_by": None,
            "locked_until": None,
            "updated_at": now,
        }
        if retry_at is None:
            values.update(status=JobStatus.FAILED.value, finished_at=now)
        else:
            values.update(status=JobStatus.QUEUED.value, run_at=retry_at)
        await self._update_held(job_id, worker_id, **values)

    async def release(self, job_id: UUID, worker_id: str) -> None:
        now = self._clock.now()
        await self._update_held(
            job_id,
            worker_id,
            status=JobStatus.QUEUED.value,
            attempts=jobs.c.attempts - 1,
            run_at=now,
            locked_by=None,
            locked_until=None,
            updated_at=now,
        )

    async def recover_expired(self) -> int:
        now = self._clock.now()
        expired = and_(jobs.c.status == JobStatus.RUNNING.value, jobs.c.locked_until < now)
        cleared = {"locked_by": None, "locked_until": None, "updated_at": now}
        async with self._session_factory() as session:
            retried = await session.execute(
                update(jobs)
                .where(expired, jobs.c.attempts < jobs.c.max_attempts)
                .values(
                    status=JobStatus.QUEUED.value, run_at=now, error=LOST_WORKER_ERROR, **cleared
                )
            )
            given_up = await session.execute(
                update(jobs)
                .where(expired, jobs.c.attempts >= jobs.c.max_attempts)
                .values(
                    status=JobStatus.FAILED.value,
                    finished_at=now,
                    error=LOST_WORKER_ERROR,
                    **cleared,
                )
            )
            await session.commit()
        changed = _rowcount(retried) + _rowcount(given_up)
        if changed:
            self.nudge()
        return changed

    async def _update_held(self, job_id: UUID, worker_id: str, **values: Any) -> bool:
        statement = (
            update(jobs)
            .where(
                jobs.c.id == job_id,
                jobs.c.locked_by == worker_id,
                jobs.c.status == JobStatus.RUNNING.value,
            )
            .values(**values)
        )
        async with self._session_factory() as session:
            changed = _rowcount(await session.execute(statement))
            await session.commit()
        return changed > 0


def _rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count
