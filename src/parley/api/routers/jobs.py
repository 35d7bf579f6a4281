"""`/v1/jobs/{id}`: a background job's state, for its owner only (404 for anyone else)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.jobs import JobOut

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", responses=responses(401, 404))
async def get_job(job_id: UUID, principal: PrincipalDep, services: ServicesDep) -> JobOut:
    return JobOut.of(await services.jobs.get_job(principal, job_id))
