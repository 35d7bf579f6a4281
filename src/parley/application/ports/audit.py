"""Where audit events go."""

from __future__ import annotations

from typing import Protocol

from parley.domain.audit import AuditEvent


class AuditLog(Protocol):
    async def append(self, event: AuditEvent) -> None:
        """Add one event. Events are never changed or removed through this port."""
        ...
