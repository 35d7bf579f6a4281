"""Where model usage outside the chat path (summaries, background work) is reported.

The usage log and cost accounting live elsewhere; this hook lets them be wired in at the
composition root without the summary workflow knowing about them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from parley.domain.chat import Usage


@dataclass(frozen=True, slots=True)
class ModelUsage:
    """One piece of model work done for `user_id`: `purpose` says what for ("summary")."""

    user_id: UUID
    model: str
    usage: Usage
    cost: Decimal
    purpose: str
    conversation_id: UUID | None = None


class ModelUsageSink(Protocol):
    """Records usage. Must not raise for a recording failure that the caller cannot fix."""

    async def record(self, usage: ModelUsage) -> None: ...
