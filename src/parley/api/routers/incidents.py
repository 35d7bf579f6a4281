"""`/v1/incidents` (signed-in readers, admin writers) and `/v1/status` (public)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from parley.api.deps import AdminDep, ClientDep, PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.incidents import (
    IncidentDetailOut,
    IncidentIn,
    IncidentListOut,
    IncidentOut,
    IncidentPatchIn,
    IncidentUpdateIn,
    StatusOut,
)
from parley.application.incidents.manage import IncidentChange, NewIncident
from parley.application.incidents.queries import IncidentFilter

Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]

router = APIRouter(tags=["incidents"])


@router.get("/v1/status", summary="Public status: each model's health and open incidents")
async def get_status(services: ServicesDep) -> StatusOut:
    return StatusOut.of(await services.incidents.status())


@router.get("/v1/incidents", responses=responses(401, 422))
async def list_incidents(
    principal: PrincipalDep,
    services: ServicesDep,
    status: Annotated[IncidentFilter | None, Query(description="open: not yet resolved")] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> IncidentListOut:
    page = await services.incidents.list(principal, status, cursor, limit)
    return IncidentListOut(
        items=[IncidentOut.of(incident) for incident in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/v1/incidents/{incident_id}", responses=responses(401, 404))
async def get_incident(
    incident_id: UUID, principal: PrincipalDep, services: ServicesDep
) -> IncidentDetailOut:
    return IncidentDetailOut.of_detail(await services.incidents.get(principal, incident_id))


@router.post(
    "/v1/incidents",
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 422),
)
async def create_incident(
    body: IncidentIn, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> IncidentDetailOut:
    new = NewIncident(
        title=body.title,
        severity=body.severity,
        message=body.message,
        affected_models=body.affected_models,
    )
    return IncidentDetailOut.of_detail(await services.incidents.create(admin, new, client))


@router.patch("/v1/incidents/{incident_id}", responses=responses(401, 403, 404, 409, 422))
async def change_incident(
    incident_id: UUID,
    body: IncidentPatchIn,
    admin: AdminDep,
    services: ServicesDep,
    client: ClientDep,
) -> IncidentDetailOut:
    change = IncidentChange(status=body.status, severity=body.severity, message=body.message)
    detail = await services.incidents.change(admin, incident_id, change, client)
    return IncidentDetailOut.of_detail(detail)


@router.post(
    "/v1/incidents/{incident_id}/updates",
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422),
)
async def post_incident_update(
    incident_id: UUID,
    body: IncidentUpdateIn,
    admin: AdminDep,
    services: ServicesDep,
    client: ClientDep,
) -> IncidentDetailOut:
    detail = await services.incidents.post_update(
        admin, incident_id, body.message, body.status, client
    )
    return IncidentDetailOut.of_detail(detail)
