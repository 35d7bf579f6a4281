"""Conversations and their messages: one row per message, never a blob of the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from parley.domain.chat import ToolCall, Usage

_TICK = timedelta(microseconds=1)


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


class MessageStatus(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


@dataclass(slots=True)
class Conversation:
    id: UUID
    user_id: UUID
    title: str | None
    model: str | None
    system_prompt: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime

    def touch(self, now: datetime) -> datetime:
        """Record activity and return its time, strictly after the previous activity.

        Messages take this as their `created_at`, so messages written one after another sort
        in that order even when two land in the same microsecond or replicas' clocks
        disagree a little."""
        stamp = max(now, self.updated_at + _TICK)
        self.updated_at = stamp
        return stamp


@dataclass(slots=True)
class Message:
    """One turn. `usage` is what the model reported for producing it (assistant messages);
    `estimated` in it is not persisted."""

    id: UUID
    conversation_id: UUID
    role: MessageRole
    content: str
    status: MessageStatus
    created_at: datetime
    model: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    file_ids: tuple[UUID, ...] = ()
    usage: Usage | None = None
