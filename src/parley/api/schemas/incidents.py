"""Incidents and the status page as the API shows and takes them. Inputs carry only the
whitelisted fields; unknown ones are ignored (an admin cannot set `auto` or timestamps)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from parley.api.schemas.identity import Input
from parley.application.incidents.status import Health, ModelHealth, StatusReport
from parley.domain.circuit import Circuit
from parley.domain.incidents import (
    Incident,
    IncidentDetail,
    IncidentStatus,
    IncidentUpdate,
    Severity,
)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ModelName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class IncidentIn(Input):
    title: Title
    severity: Severity
    message: Message
    affected_models: list[ModelName] = Field(default_factory=list, max_length=50)


class IncidentPatchIn(Input):
    status: IncidentStatus | None = None
    severity: Severity | None = None
    message: Message | None = Field(
        default=None, description="The timeline entry's text; a default says what changed."
    )


class IncidentUpdateIn(Input):
    message: Message
    status: IncidentStatus | None = None


class IncidentUpdateOut(BaseModel):
    id: UUID
    at: datetime
    status: IncidentStatus
    message: str
    author_id: UUID | None

    @classmethod
    def of(cls, update: IncidentUpdate) -> IncidentUpdateOut:
        return cls(
            id=update.id,
            at=update.at,
            status=update.status,
            message=update.message,
            author_id=update.author_id,
        )


class IncidentOut(BaseModel):
    id: UUID
    title: str
    severity: Severity
    status: IncidentStatus
    affected_models: list[str]
    auto: bool
    source_model: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, incident: Incident) -> IncidentOut:
        return cls(
            id=incident.id,
            title=incident.title,
            severity=incident.severity,
            status=incident.status,
            affected_models=list(incident.affected_models),
            auto=incident.auto,
            source_model=incident.source_model,
            created_at=incident.created_at,
            updated_at=incident.updated_at,
            resolved_at=incident.resolved_at,
        )


class IncidentDetailOut(IncidentOut):
    updates: list[IncidentUpdateOut]

    @classmethod
    def of_detail(cls, detail: IncidentDetail) -> IncidentDetailOut:
        return cls(
            **IncidentOut.of(detail.incident).model_dump(),
            updates=[IncidentUpdateOut.of(update) for update in detail.updates],
        )


class IncidentListOut(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None = None


class ModelHealthOut(BaseModel):
    name: str
    health: Health
    circuit: Circuit
    recent_requests: int = Field(description="Requests this replica saw in the last 5 min.")
    recent_error_ratio: float

    @classmethod
    def of(cls, model: ModelHealth) -> ModelHealthOut:
        return cls(
            name=model.name,
            health=model.health,
            circuit=model.circuit,
            recent_requests=model.recent_requests,
            recent_error_ratio=model.recent_error_ratio,
        )


class StatusIncidentOut(BaseModel):
    id: UUID
    title: str
    severity: Severity
    status: IncidentStatus
    affected_models: list[str]
    created_at: datetime
    updated_at: datetime


class StatusOut(BaseModel):
    status: Health
    models: list[ModelHealthOut]
    incidents: list[StatusIncidentOut]

    @classmethod
    def of(cls, report: StatusReport) -> StatusOut:
        return cls(
            status=report.overall,
            models=[ModelHealthOut.of(model) for model in report.models],
            incidents=[
                StatusIncidentOut(
                    id=incident.id,
                    title=incident.title,
                    severity=incident.severity,
                    status=incident.status,
                    affected_models=list(incident.affected_models),
                    created_at=incident.created_at,
                    updated_at=incident.updated_at,
                )
                for incident in report.incidents
            ],
        )
