"""Jobs and summaries in SQL, inside a unit of work."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.tables import jobs, summaries
from parley.domain.chat import Usage
from parley.domain.jobs import Job, JobStatus
from parley.domain.summaries import Summary


def job_from_row(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        status=JobStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        run_at=row.run_at,
        user_id=row.user_id,
        dedupe_key=row.dedupe_key,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        locked_by=row.locked_by,
        locked_until=row.locked_until,
        result=row.result,
        error=row.error,
        finished_at=row.finished_at,
    )


def job_values(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "user_id": job.user_id,
        "dedupe_key": job.dedupe_key,
        "payload": job.payload,
        "status": job.status.value,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_at": job.run_at,
        "locked_by": job.locked_by,
        "locked_until": job.locked_until,
        "result": job.result,
        "error": job.error,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "finished_at": job.finished_at,
    }


class SqlJobRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, job: Job) -> None:
        await self._sql.execute(insert(jobs).values(**job_values(job)))

    async def get(self, job_id: UUID) -> Job | None:
        row = (await self._sql.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return job_from_row(row) if row else None

    async def pending(self, kind: str, dedupe_key: str) -> Job | None:
        query = (
            select(jobs)
            .where(
                jobs.c.kind == kind,
                jobs.c.dedupe_key == dedupe_key,
                jobs.c.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
            )
            .limit(1)
        )
        row = (await self._sql.execute(query)).first()
        return job_from_row(row) if row else None


class SqlSummaryRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, summary: Summary) -> None:
        await self._sql.execute(
            insert(summaries).values(
                id=summary.id,
                conversation_id=summary.conversation_id,
                text=summary.text,
                covers_until_message_id=summary.covers_until_message_id,
                covers_until_at=summary.covers_until_at,
                model=summary.model,
                prompt_tokens=summary.usage.prompt_tokens,
                completion_tokens=summary.usage.completion_tokens,
                usage_estimated=summary.usage.estimated,
                cost=summary.cost,
                created_at=summary.created_at,
            )
        )

    async def latest(self, conversation_id: UUID) -> Summary | None:
        query = (
            select(summaries)
            .where(summaries.c.conversation_id == conversation_id)
            .order_by(summaries.c.created_at.desc(), summaries.c.id.desc())
            .limit(1)
        )
        row = (await self._sql.execute(query)).first()
        if row is None:
            return None
        return Summary(
            id=row.id,
            conversation_id=row.conversation_id,
            text=row.text,
            covers_until_message_id=row.covers_until_message_id,
            covers_until_at=row.covers_until_at,
            model=row.model,
            usage=Usage(row.prompt_tokens, row.completion_tokens, bool(row.usage_estimated)),
            cost=row.cost,
            created_at=row.created_at,
        )
