"""Background jobs: work that outlives the request that asked for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(slots=True)
class Job:
    """One unit of background work. `user_id` owns it (None for system work); `dedupe_key`
    lets a caller avoid queueing the same work twice while one copy is still pending.

    A worker holds a running job under a lease (`locked_by` until `locked_until`); a job
    whose lease ran out belonged to a worker that died, and is queued again."""

    id: UUID
    kind: str
    payload: dict[str, Any]
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    run_at: datetime
    user_id: UUID | None = None
    dedupe_key: str | None = None
    attempts: int = 0
    max_attempts: int = 3
    locked_by: str | None = None
    locked_until: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}
