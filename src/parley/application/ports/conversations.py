"""Persistence ports for conversations and their messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from parley.application.pagination import Keyset
from parley.domain.conversations import Conversation, Message


@dataclass(frozen=True, slots=True)
class ConversationQuery:
    """Which of one user's conversations to list, newest activity first (`updated_at`, then
    `id`, descending), starting after the `after` position.

    `terms` are lower-case words of letters and digits (see `search_terms`); when given, a
    conversation matches if its title, or any one of its messages, contains every term as
    the start of a word. `archived=None` lists archived and active ones alike."""

    user_id: UUID
    limit: int
    after: Keyset | None = None
    archived: bool | None = None
    terms: tuple[str, ...] = ()


class ConversationRepository(Protocol):
    async def add(self, conversation: Conversation) -> None: ...

    async def get(self, conversation_id: UUID) -> Conversation | None:
        """Whoever owns it: checking ownership is the caller's job (`ConversationAccess`)."""
        ...

    async def update(self, conversation: Conversation) -> None:
        """Persist title, model, system prompt, archived flag and `updated_at`."""
        ...

    async def touch(self, conversation_id: UUID, at: datetime) -> None:
        """Set only `updated_at` (new activity), so that it cannot undo a concurrent edit of
        the other fields."""
        ...

    async def delete(self, conversation_id: UUID) -> None:
        """Remove the conversation and every message in it."""
        ...

    async def find(self, query: ConversationQuery) -> Sequence[Conversation]:
        """At most `query.limit` conversations of `query.user_id`, in the query's order."""
        ...


class MessageRepository(Protocol):
    async def add(self, message: Message) -> None: ...

    async def get(self, message_id: UUID) -> Message | None: ...

    async def update(self, message: Message) -> None:
        """Persist content, status, model, tool calls and usage (the rest never changes)."""
        ...

    async def delete(self, message_id: UUID) -> None: ...

    async def oldest_first(
        self, conversation_id: UUID, limit: int, after: Keyset | None = None
    ) -> Sequence[Message]:
        """Oldest first (`created_at`, then `id`), starting after `after`."""
        ...

    async def recent(self, conversation_id: UUID, limit: int) -> Sequence[Message]:
        """The `limit` newest messages, newest first: a model's context is built by walking
        back from the newest until its token budget is spent, without loading the rest."""
        ...
