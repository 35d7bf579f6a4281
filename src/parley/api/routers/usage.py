"""Usage reports (`/v1/admin/usage`, `/v1/me/usage`) and limit overrides (admin)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Query

from parley.api.deps import AdminDep, ClientDep, PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.usage import UsageReportOut, UsageRowOut
from parley.domain.usage import UsageQuery

router = APIRouter(tags=["usage"])

From = Annotated[date | None, Query(alias="from", description="First day (UTC), inclusive")]
To = Annotated[date | None, Query(alias="to", description="Last day (UTC), inclusive")]


def _report(group_by: str, start: date | None, end: date | None, rows: Any) -> dict[str, Any]:
    return UsageReportOut(
        group_by=group_by, start=start, end=end, items=[UsageRowOut.of(group_by, r) for r in rows]
    ).model_dump(by_alias=True, mode="json")


@router.get("/v1/admin/usage", responses=responses(401, 403, 422))
async def admin_usage(
    admin: AdminDep,
    services: ServicesDep,
    group_by: Literal["user", "model", "day"] = "day",
    start: From = None,
    end: To = None,
) -> dict[str, Any]:
    rows = await services.usage.report(admin, UsageQuery(group_by, start, end))
    return _report(group_by, start, end, rows)


@router.get("/v1/me/usage", responses=responses(401, 422))
async def my_usage(
    principal: PrincipalDep,
    services: ServicesDep,
    group_by: Literal["model", "day"] = "day",
    start: From = None,
    end: To = None,
) -> dict[str, Any]:
    rows = await services.usage.mine(principal, UsageQuery(group_by, start, end))
    return _report(group_by, start, end, rows)


@router.put("/v1/admin/limits/{subject_type}/{subject_id}", responses=responses(401, 403, 404, 422))
async def set_limits(
    subject_type: Literal["user", "api_key"],
    subject_id: UUID,
    admin: AdminDep,
    services: ServicesDep,
    client: ClientDep,
    limits: Annotated[dict[str, int | float | None], Body()],
) -> dict[str, Any]:
    """Override limits for one user or one API key: `requests_per_minute`,
    `tokens_per_minute`, `tokens_per_day`, `concurrent_streams`, `max_output_tokens`,
    `monthly_budget` (null = unlimited). `{}` clears the override."""
    stored = await services.usage.set_limits(admin, subject_type, subject_id, dict(limits), client)
    return {"subject_type": subject_type, "subject_id": str(subject_id), "limits": stored}
