"""Conversations and messages in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, bindparam, delete, insert, select, tuple_, update

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.repositories.search import matches_terms
from parley.adapters.sql.tables import conversations, messages, summaries
from parley.application.pagination import Keyset
from parley.application.ports.conversations import ConversationQuery
from parley.domain.chat import ToolCall, Usage
from parley.domain.conversations import Conversation, Message, MessageRole, MessageStatus


def _conversation_from_row(row: Row[Any]) -> Conversation:
    return Conversation(
        id=row.id,
        user_id=row.user_id,
        title=row.title,
        model=row.model,
        system_prompt=row.system_prompt,
        archived=bool(row.archived),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# The statements every chat turn runs, built once: the values go in as parameters, so
# SQLAlchemy finds the compiled form in its cache by a constant key instead of building a
# statement, and coercing each value into it, per call (bench/NOTES.md, fifth session).
_INSERT_CONVERSATION = insert(conversations)
_GET_CONVERSATION = select(conversations).where(conversations.c.id == bindparam("conversation_id"))
_TOUCH_CONVERSATION = (
    update(conversations)
    .where(conversations.c.id == bindparam("conversation_id"))
    .values(updated_at=bindparam("at"))
)
_INSERT_MESSAGE = insert(messages)


class SqlConversationRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, conversation: Conversation) -> None:
        await self._sql.execute(
            _INSERT_CONVERSATION,
            {
                "id": conversation.id,
                "user_id": conversation.user_id,
                "title": conversation.title,
                "model": conversation.model,
                "system_prompt": conversation.system_prompt,
                "archived": conversation.archived,
                "created_at": conversation.created_at,
                "updated_at": conversation.updated_at,
            },
        )

    async def get(self, conversation_id: UUID) -> Conversation | None:
        result = await self._sql.execute(_GET_CONVERSATION, {"conversation_id": conversation_id})
        row = result.first()
        return _conversation_from_row(row) if row else None

    async def update(self, conversation: Conversation) -> None:
        await self._sql.execute(
            update(conversations)
            .where(conversations.c.id == conversation.id)
            .values(
                title=conversation.title,
                model=conversation.model,
                system_prompt=conversation.system_prompt,
                archived=conversation.archived,
                updated_at=conversation.updated_at,
            )
        )

    async def touch(self, conversation_id: UUID, at: datetime) -> None:
        await self._sql.execute(_TOUCH_CONVERSATION, {"conversation_id": conversation_id, "at": at})

    async def delete(self, conversation_id: UUID) -> None:
        # Explicit rather than left to ON DELETE CASCADE, so that it holds whether or not
        # a connection enforces foreign keys.
        await self._sql.execute(
            delete(summaries).where(summaries.c.conversation_id == conversation_id)
        )
        await self._sql.execute(
            delete(messages).where(messages.c.conversation_id == conversation_id)
        )
        await self._sql.execute(delete(conversations).where(conversations.c.id == conversation_id))

    async def find(self, query: ConversationQuery) -> Sequence[Conversation]:
        statement = select(conversations).where(conversations.c.user_id == query.user_id)
        if query.archived is not None:
            statement = statement.where(conversations.c.archived == query.archived)
        if query.after is not None:
            statement = statement.where(
                tuple_(conversations.c.updated_at, conversations.c.id)
                < tuple_(query.after.at, query.after.id)
            )
        if query.terms:
            dialect = self._sql.dialect_name
            statement = statement.where(matches_terms(dialect, query.terms))
        statement = statement.order_by(
            conversations.c.updated_at.desc(), conversations.c.id.desc()
        ).limit(query.limit)
        return [_conversation_from_row(row) for row in await self._sql.execute(statement)]


def _message_from_row(row: Row[Any]) -> Message:
    usage = None
    if row.prompt_tokens is not None or row.completion_tokens is not None:
        usage = Usage(row.prompt_tokens or 0, row.completion_tokens or 0)
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        role=MessageRole(row.role),
        content=row.content,
        status=MessageStatus(row.status),
        created_at=row.created_at,
        model=row.model,
        tool_calls=tuple(
            ToolCall(call["id"], call["name"], call["arguments"]) for call in row.tool_calls or ()
        ),
        tool_call_id=row.tool_call_id,
        file_ids=tuple(UUID(file_id) for file_id in row.file_ids or ()),
        usage=usage,
    )


def _mutable_values(message: Message) -> dict[str, Any]:
    return {
        "content": message.content,
        "status": message.status.value,
        "model": message.model,
        "tool_calls": [
            {"id": call.id, "name": call.name, "arguments": call.arguments}
            for call in message.tool_calls
        ]
        or None,
        "prompt_tokens": message.usage.prompt_tokens if message.usage else None,
        "completion_tokens": message.usage.completion_tokens if message.usage else None,
    }


class SqlMessageRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, message: Message) -> None:
        await self._sql.execute(
            _INSERT_MESSAGE,
            {
                "id": message.id,
                "conversation_id": message.conversation_id,
                "role": message.role.value,
                "tool_call_id": message.tool_call_id,
                "file_ids": [str(file_id) for file_id in message.file_ids] or None,
                "created_at": message.created_at,
                **_mutable_values(message),
            },
        )

    async def get(self, message_id: UUID) -> Message | None:
        row = (await self._sql.execute(select(messages).where(messages.c.id == message_id))).first()
        return _message_from_row(row) if row else None

    async def update(self, message: Message) -> None:
        await self._sql.execute(
            update(messages).where(messages.c.id == message.id).values(**_mutable_values(message))
        )

    async def delete(self, message_id: UUID) -> None:
        await self._sql.execute(delete(messages).where(messages.c.id == message_id))

    async def oldest_first(
        self, conversation_id: UUID, limit: int, after: Keyset | None = None
    ) -> Sequence[Message]:
        statement = select(messages).where(messages.c.conversation_id == conversation_id)
        if after is not None:
            statement = statement.where(
                tuple_(messages.c.created_at, messages.c.id) > tuple_(after.at, after.id)
            )
        statement = statement.order_by(messages.c.created_at, messages.c.id).limit(limit)
        return [_message_from_row(row) for row in await self._sql.execute(statement)]

    async def recent(self, conversation_id: UUID, limit: int) -> Sequence[Message]:
        statement = (
            select(messages)
            .where(messages.c.conversation_id == conversation_id)
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(limit)
        )
        return [_message_from_row(row) for row in await self._sql.execute(statement)]
