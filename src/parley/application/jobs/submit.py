"""Queueing jobs, and reading them back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from parley.application.ports.clock import Clock
from parley.application.ports.jobs import JobQueue
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import NotFound
from parley.domain.identity import Principal
from parley.domain.jobs import Job, JobStatus


class JobNotFound(NotFound):
    detail = "No such job."


class SubmitJob:
    """Queues a job, durably, before returning it. With a `dedupe_key`, a queued or
    running job of the same kind and key is returned instead of queueing another (two
    racing submitters may still both queue one; handlers are safe to repeat)."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, queue: JobQueue, clock: Clock, max_attempts: int
    ) -> None:
        self._uow_factory = uow_factory
        self._queue = queue
        self._clock = clock
        self._max_attempts = max_attempts

    async def __call__(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        user_id: UUID | None,
        dedupe_key: str | None = None,
    ) -> Job:
        if dedupe_key is not None:
            async with self._uow_factory() as uow:
                pending = await uow.jobs.pending(kind, dedupe_key)
            if pending is not None:
                return pending
        now = self._clock.now()
        job = Job(
            id=uuid.uuid4(),
            kind=kind,
            payload=dict(payload),
            status=JobStatus.QUEUED,
            created_at=now,
            updated_at=now,
            run_at=now,
            user_id=user_id,
            dedupe_key=dedupe_key,
            max_attempts=self._max_attempts,
        )
        await self._queue.enqueue(job)
        return job


class GetJob:
    """The caller's own job. Raises `JobNotFound` for a missing job or anyone else's."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal, job_id: UUID) -> Job:
        async with self._uow_factory() as uow:
            job = await uow.jobs.get(job_id)
        if job is None or job.user_id is None or job.user_id != principal.user_id:
            raise JobNotFound()
        return job
