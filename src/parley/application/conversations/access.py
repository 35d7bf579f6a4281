"""Ownership: a caller sees their own conversations, and to them nothing else exists."""

from __future__ import annotations

from uuid import UUID

from parley.application.ports.unit_of_work import UnitOfWork
from parley.domain.conversations import Conversation, Message
from parley.domain.errors import NotFound


class ConversationNotFound(NotFound):
    detail = "No such conversation."


class MessageNotFound(NotFound):
    detail = "No such message."


class ConversationAccess:
    """Lookups that check ownership inside the caller's unit of work."""

    @staticmethod
    async def owned(uow: UnitOfWork, user_id: UUID, conversation_id: UUID) -> Conversation:
        """The conversation if `user_id` owns it. Raises `NotFound` when it does not exist
        or belongs to someone else — the two are indistinguishable to the caller."""
        conversation = await uow.conversations.get(conversation_id)
        if conversation is None or conversation.user_id != user_id:
            raise ConversationNotFound()
        return conversation

    @staticmethod
    async def owned_message(
        uow: UnitOfWork, user_id: UUID, conversation_id: UUID, message_id: UUID
    ) -> tuple[Conversation, Message]:
        """The message and its conversation, if the message is in that conversation and
        `user_id` owns it. Raises `NotFound` otherwise."""
        conversation = await ConversationAccess.owned(uow, user_id, conversation_id)
        message = await uow.messages.get(message_id)
        if message is None or message.conversation_id != conversation.id:
            raise MessageNotFound()
        return conversation, message
