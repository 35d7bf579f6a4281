"""Bodies of the job and summary routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from parley.domain.jobs import Job, JobStatus
from parley.domain.summaries import Summary


class SummarizeIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: Annotated[str, Field(max_length=200)] | None = None


class JobStartedOut(BaseModel):
    job_id: UUID
    status: JobStatus


class JobOut(BaseModel):
    """`result` when it succeeded, `error` (the last attempt's) when it failed or is
    waiting for a retry."""

    id: UUID
    kind: str
    status: JobStatus
    result: dict[str, Any] | None = None
    error: str | None = None
    attempts: int
    created_at: datetime
    finished_at: datetime | None = None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            result=job.result,
            error=job.error,
            attempts=job.attempts,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


class SummaryUsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    estimated: bool


class SummaryOut(BaseModel):
    text: str
    covers_until_message_id: UUID
    model: str
    usage: SummaryUsageOut
    cost: Decimal
    created_at: datetime

    @classmethod
    def of(cls, summary: Summary) -> SummaryOut:
        return cls(
            text=summary.text,
            covers_until_message_id=summary.covers_until_message_id,
            model=summary.model,
            usage=SummaryUsageOut(
                prompt_tokens=summary.usage.prompt_tokens,
                completion_tokens=summary.usage.completion_tokens,
                estimated=summary.usage.estimated,
            ),
            cost=summary.cost,
            created_at=summary.created_at,
        )
