"""Incidents: what operators tell users about an outage, and its timeline of updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


@dataclass(slots=True)
class Incident:
    """`auto` incidents are opened by a model's circuit breaker; `source_model` names it.
    At most one automatic incident per model is unresolved at a time (one per outage)."""

    id: UUID
    title: str
    severity: Severity
    status: IncidentStatus
    affected_models: list[str]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    auto: bool = False
    source_model: str | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def move_to(self, status: IncidentStatus, now: datetime) -> None:
        """Change status; resolving stamps `resolved_at`, any other status reopens."""
        self.status = status
        self.resolved_at = (self.resolved_at or now) if status is IncidentStatus.RESOLVED else None
        self.updated_at = now


@dataclass(frozen=True, slots=True)
class IncidentUpdate:
    """One entry of an incident's timeline; `author_id` is None for automatic entries."""

    id: UUID
    incident_id: UUID
    at: datetime
    status: IncidentStatus
    message: str
    author_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    incident: Incident
    updates: list[IncidentUpdate] = field(default_factory=list)


class IncidentEvent(StrEnum):
    """What outbound notifications announce."""

    OPENED = "incident.opened"
    UPDATED = "incident.updated"
    RESOLVED = "incident.resolved"
