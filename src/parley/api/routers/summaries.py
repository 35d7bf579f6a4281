"""`/v1/conversations/{id}/summarize` and `/summary`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response, status

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.jobs import JobStartedOut, SummarizeIn, SummaryOut
from parley.application.summaries.use_cases import SummaryStarted

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])


@router.post(
    "/{conversation_id}/summarize",
    responses={
        **responses(401, 403, 404, 422),
        202: {"model": JobStartedOut, "description": "Summarising in the background"},
    },
)
async def summarize(
    conversation_id: UUID,
    principal: PrincipalDep,
    services: ServicesDep,
    response: Response,
    body: Annotated[SummarizeIn | None, Body()] = None,
) -> SummaryOut | JobStartedOut:
    """200 with the summary when one model call did it; otherwise 202 with the job."""
    outcome = await services.jobs.summarize(
        principal, conversation_id, body.model if body else None
    )
    if isinstance(outcome, SummaryStarted):
        response.status_code = status.HTTP_202_ACCEPTED
        return JobStartedOut(job_id=outcome.job.id, status=outcome.job.status)
    return SummaryOut.of(outcome)


@router.get("/{conversation_id}/summary", responses=responses(401, 404))
async def get_summary(
    conversation_id: UUID, principal: PrincipalDep, services: ServicesDep
) -> SummaryOut:
    return SummaryOut.of(await services.jobs.get_summary(principal, conversation_id))
