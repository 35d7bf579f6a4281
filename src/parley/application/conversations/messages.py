"""Reading and writing the messages of one's conversations (no model is called here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from parley.application.conversations.access import ConversationAccess
from parley.application.conversations.conversations import DEFAULT_PAGE_SIZE, clamp_limit
from parley.application.files.access import FileAccess
from parley.application.pagination import Keyset, Page, decode_cursor, page_of
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.conversations import Message, MessageRole, MessageStatus
from parley.domain.errors import FieldError, ValidationFailed
from parley.domain.identity import Principal


def message_keyset(message: Message) -> Keyset:
    return Keyset(message.created_at, message.id)


def _require_content(content: str, file_ids: Sequence[uuid.UUID]) -> None:
    if not content.strip() and not file_ids:
        message = "content must not be empty (unless files are attached)."
        raise ValidationFailed([FieldError(("body", "content"), message)], message)


@dataclass(frozen=True, slots=True)
class NewUserMessage:
    content: str
    file_ids: Sequence[uuid.UUID] = ()


class ListMessages:
    """The conversation's messages, oldest first, a page at a time. Raises `NotFound` unless
    the caller owns the conversation, `ValidationFailed` for a foreign cursor."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(
        self,
        principal: Principal,
        conversation_id: uuid.UUID,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Message]:
        after = decode_cursor(cursor)
        limit = clamp_limit(limit)
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(uow, principal.user_id, conversation_id)
            rows = await uow.messages.oldest_first(conversation.id, limit + 1, after)
        return page_of(rows, limit, message_keyset)


class PostMessage:
    """Stores a user message (nothing is generated) and marks the conversation active.

    Only the `user` role can be posted this way. `file_ids` are stored as given (duplicates
    dropped). Raises `NotFound` unless the caller owns the conversation and every file
    named, `ValidationFailed` for empty content without files."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(
        self, principal: Principal, conversation_id: uuid.UUID, new: NewUserMessage
    ) -> Message:
        file_ids = tuple(dict.fromkeys(new.file_ids))
        _require_content(new.content, file_ids)
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(uow, principal.user_id, conversation_id)
            await FileAccess.require_owned(uow, principal.user_id, file_ids)
            message = Message(
                id=uuid.uuid4(),
                conversation_id=conversation.id,
                role=MessageRole.USER,
                content=new.content,
                status=MessageStatus.COMPLETE,
                created_at=conversation.touch(self._clock.now()),
                file_ids=file_ids,
            )
            await uow.messages.add(message)
            await uow.conversations.touch(conversation.id, conversation.updated_at)
            await uow.commit()
        return message


class GetMessage:
    """Raises `NotFound` unless the message is in a conversation the caller owns."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(
        self, principal: Principal, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> Message:
        async with self._uow_factory() as uow:
            _, message = await ConversationAccess.owned_message(
                uow, principal.user_id, conversation_id, message_id
            )
        return message


class UpdateMessage:
    """Replaces a message's content — the only thing a caller may change about a message —
    and marks the conversation active. Any message of one's own conversations may be edited
    (including a model's answer, to steer what follows). Raises `NotFound` unless the
    caller owns the conversation, `ValidationFailed` for empty content without files."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(
        self,
        principal: Principal,
        conversation_id: uuid.UUID,
        message_id: uuid.UUID,
        content: str,
    ) -> Message:
        async with self._uow_factory() as uow:
            conversation, message = await ConversationAccess.owned_message(
                uow, principal.user_id, conversation_id, message_id
            )
            _require_content(content, message.file_ids)
            message.content = content
            await uow.messages.update(message)
            await uow.conversations.touch(conversation.id, conversation.touch(self._clock.now()))
            await uow.commit()
        return message


class DeleteMessage:
    """Raises `NotFound` unless the message is in a conversation the caller owns."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(
        self, principal: Principal, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> None:
        async with self._uow_factory() as uow:
            _, message = await ConversationAccess.owned_message(
                uow, principal.user_id, conversation_id, message_id
            )
            await uow.messages.delete(message.id)
            await uow.commit()
