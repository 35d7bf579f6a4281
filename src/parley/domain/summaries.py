"""Summaries of conversations: what a model said the conversation was about so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from parley.domain.chat import Usage


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary of a conversation up to and including `covers_until_message_id` (whose
    `created_at` is `covers_until_at`, kept so that the next summary can start after it
    even if that message is deleted). Summaries are kept as history; the newest wins.
    `usage` and `cost` add up every model call the summary took."""

    id: UUID
    conversation_id: UUID
    text: str
    covers_until_message_id: UUID
    covers_until_at: datetime
    model: str
    usage: Usage
    cost: Decimal
    created_at: datetime
