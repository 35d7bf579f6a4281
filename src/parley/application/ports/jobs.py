"""Ports for background jobs: where they are stored, and how workers take them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from parley.domain.jobs import Job


class JobRepository(Protocol):
    """Jobs inside a unit of work: a job added here is queued when the unit commits."""

    async def add(self, job: Job) -> None: ...

    async def get(self, job_id: UUID) -> Job | None:
        """Whoever owns it: the caller checks ownership."""
        ...

    async def pending(self, kind: str, dedupe_key: str) -> Job | None:
        """A queued or running job of `kind` with `dedupe_key`, if there is one."""
        ...


class JobQueue(Protocol):
    """The queue workers consume. Every method is its own short transaction, and every
    change to a claimed job is guarded by the claiming worker's id, so a worker whose lease
    was taken away can no longer touch the job."""

    async def enqueue(self, job: Job) -> None:
        """Persist `job` (durable when this returns) and wake local workers."""
        ...

    async def claim(self, worker_id: str, lease: timedelta) -> Job | None:
        """Take the oldest due queued job, or None. Never hands one job to two workers:
        the job becomes `running`, locked by `worker_id` for `lease`, attempts + 1."""
        ...

    async def renew(self, job_id: UUID, worker_id: str, lease: timedelta) -> bool:
        """Extend the lease; False when the job is no longer this worker's."""
        ...

    async def succeed(self, job_id: UUID, worker_id: str, result: Mapping[str, Any]) -> None: ...

    async def fail(
        self, job_id: UUID, worker_id: str, error: str, retry_at: datetime | None
    ) -> None:
        """Record `error`; queue the job again at `retry_at`, or mark it failed when None."""
        ...

    async def release(self, job_id: UUID, worker_id: str) -> None:
        """Give a job back unfinished (shutdown): queued again, this attempt not counted."""
        ...

    async def recover_expired(self) -> int:
        """Queue again the running jobs whose lease expired (their worker died), or fail
        those that used up their attempts. Returns how many jobs it changed."""
        ...

    async def wait_for_work(self, seconds: float) -> None:
        """Return when a job may be ready: a local enqueue, or `seconds` passed."""
        ...
