"""Persistence port for conversation summaries."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from parley.domain.summaries import Summary


class SummaryRepository(Protocol):
    async def add(self, summary: Summary) -> None: ...

    async def latest(self, conversation_id: UUID) -> Summary | None:
        """The newest summary of the conversation (summaries are kept as history)."""
        ...
