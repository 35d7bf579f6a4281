"""`/v1/audit`: reading and exporting the audit trail, admins only. There is no route that
changes or removes an event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from parley.api.deps import AdminDep, ClientDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.audit import AuditEventOut, AuditListOut
from parley.application.audit.export_formats import ExportFormat
from parley.application.ports.audit import AuditQuery

Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]

router = APIRouter(prefix="/v1/audit", tags=["audit"])

Text = Annotated[str | None, Query(max_length=100)]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def audit_query(
    actor_id: UUID | None = None,
    action: Text = None,
    target_type: Text = None,
    target_id: Text = None,
    since: Annotated[datetime | None, Query(alias="from", description="Inclusive")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="Exclusive")] = None,
) -> AuditQuery:
    return AuditQuery(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=_utc(since),
        until=_utc(until),
    )


QueryDep = Annotated[AuditQuery, Depends(audit_query)]


@router.get("", responses=responses(401, 403, 422))
async def list_audit_events(
    _admin: AdminDep,
    services: ServicesDep,
    query: QueryDep,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AuditListOut:
    page = await services.audit.list_events(query, cursor, limit)
    return AuditListOut(
        items=[AuditEventOut.of(event) for event in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, "application/x-ndjson": {}}},
        **responses(401, 403, 422),
    },
)
async def export_audit_events(
    admin: AdminDep,
    services: ServicesDep,
    client: ClientDep,
    query: QueryDep,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.CSV,
) -> StreamingResponse:
    chunks = await services.audit.export(admin, query, export_format, client)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    filename = f"parley-audit-{stamp}.{export_format.value}"
    return StreamingResponse(
        chunks,
        media_type=export_format.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
