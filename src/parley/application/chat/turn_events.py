"""What a streamed chat turn reports, in order: the conversation, the stored user message,
deltas (and tool activity, usage), then either the stored reply or a failure."""

from __future__ import annotations

from dataclasses import dataclass

from parley.domain.chat import ToolCall, Usage
from parley.domain.conversations import Conversation, Message
from parley.domain.errors import ParleyError


@dataclass(frozen=True, slots=True)
class ConversationReady:
    conversation: Conversation
    created: bool


@dataclass(frozen=True, slots=True)
class UserMessageStored:
    message: Message


@dataclass(frozen=True, slots=True)
class ReplyDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallRequested:
    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolResultReady:
    tool_call_id: str
    name: str
    content: str
    is_error: bool


@dataclass(frozen=True, slots=True)
class UsageReported:
    usage: Usage


@dataclass(frozen=True, slots=True)
class ReplyStored:
    message: Message


@dataclass(frozen=True, slots=True)
class TurnFailed:
    """The provider failed. `message` is the stored (incomplete or failed) reply."""

    error: ParleyError
    message: Message | None


TurnEvent = (
    ConversationReady
    | UserMessageStored
    | ReplyDelta
    | ToolCallRequested
    | ToolResultReady
    | UsageReported
    | ReplyStored
    | TurnFailed
)
