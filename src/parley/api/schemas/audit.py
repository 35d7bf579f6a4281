"""Audit events as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from parley.domain.audit import AuditEvent, Outcome


class AuditEventOut(BaseModel):
    id: UUID
    at: datetime
    actor_id: UUID | None
    actor_ip: str | None
    action: str
    target_type: str | None
    target_id: str | None
    outcome: Outcome
    details: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            id=event.id,
            at=event.at,
            actor_id=event.actor_id,
            actor_ip=event.actor_ip,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            outcome=event.outcome,
            details=event.details,
        )


class AuditListOut(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None = None
