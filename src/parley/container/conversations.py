"""Conversations and their messages."""

from __future__ import annotations

from parley.application.conversations.conversations import (
    CreateConversation,
    DeleteConversation,
    GetConversation,
    ListConversations,
    UpdateConversation,
)
from parley.application.conversations.messages import (
    DeleteMessage,
    GetMessage,
    ListMessages,
    PostMessage,
    UpdateMessage,
)
from parley.application.services import ConversationServices
from parley.container.infrastructure import Infrastructure


def conversation_services(infra: Infrastructure) -> ConversationServices:
    uow_factory, clock = infra.uow_factory, infra.clock
    return ConversationServices(
        create=CreateConversation(uow_factory, clock),
        list=ListConversations(uow_factory),
        get=GetConversation(uow_factory),
        update=UpdateConversation(uow_factory, clock),
        delete=DeleteConversation(uow_factory),
        list_messages=ListMessages(uow_factory),
        post_message=PostMessage(uow_factory, clock),
        get_message=GetMessage(uow_factory),
        update_message=UpdateMessage(uow_factory, clock),
        delete_message=DeleteMessage(uow_factory),
    )
