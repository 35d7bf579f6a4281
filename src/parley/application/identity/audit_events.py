"""Building audit events for identity actions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from parley.application.identity.context import ClientInfo
from parley.domain.audit import AuditEvent, Outcome


def audit_event(
    action: str,
    at: datetime,
    client: ClientInfo,
    *,
    actor_id: UUID | None,
    target_type: str | None = None,
    target_id: UUID | str | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    **details: Any,
) -> AuditEvent:
    return AuditEvent(
        id=uuid.uuid4(),
        at=at,
        action=action,
        outcome=outcome,
        actor_id=actor_id,
        actor_ip=client.ip_address,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=details,
    )
