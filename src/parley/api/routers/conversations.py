"""`/v1/conversations`: the caller's conversations and their messages. Anyone else's are
404, whatever the verb."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.conversations import (
    ConversationIn,
    ConversationListOut,
    ConversationOut,
    ConversationPatchIn,
    MessageIn,
    MessageListOut,
    MessageOut,
    MessagePatchIn,
)
from parley.application.conversations.conversations import NewConversation
from parley.application.conversations.messages import NewUserMessage

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])

Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(401, 422))
async def create_conversation(
    body: ConversationIn, principal: PrincipalDep, services: ServicesDep
) -> ConversationOut:
    new = NewConversation(body.title, body.model, body.system_prompt)
    return ConversationOut.of(await services.conversations.create(principal, new))


@router.get("", responses=responses(401, 422))
async def list_conversations(
    principal: PrincipalDep,
    services: ServicesDep,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Words to find in titles and message text."),
    ] = None,
    archived: Annotated[
        bool | None, Query(description="Only archived (true) or only active (false) ones.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ConversationListOut:
    page = await services.conversations.list(
        principal, q=q, archived=archived, limit=limit, cursor=cursor
    )
    return ConversationListOut(
        items=[ConversationOut.of(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.get("/{conversation_id}", responses=responses(401, 404))
async def get_conversation(
    conversation_id: UUID, principal: PrincipalDep, services: ServicesDep
) -> ConversationOut:
    return ConversationOut.of(await services.conversations.get(principal, conversation_id))


@router.patch("/{conversation_id}", responses=responses(401, 404, 422))
async def update_conversation(
    conversation_id: UUID,
    body: ConversationPatchIn,
    principal: PrincipalDep,
    services: ServicesDep,
) -> ConversationOut:
    conversation = await services.conversations.update(principal, conversation_id, body.changes())
    return ConversationOut.of(conversation)


@router.delete(
    "/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 404)
)
async def delete_conversation(
    conversation_id: UUID, principal: PrincipalDep, services: ServicesDep
) -> Response:
    await services.conversations.delete(principal, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{conversation_id}/messages", responses=responses(401, 404, 422))
async def list_messages(
    conversation_id: UUID,
    principal: PrincipalDep,
    services: ServicesDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> MessageListOut:
    page = await services.conversations.list_messages(
        principal, conversation_id, limit=limit, cursor=cursor
    )
    return MessageListOut(
        items=[MessageOut.of(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 404, 413, 422),
)
async def post_message(
    conversation_id: UUID, body: MessageIn, principal: PrincipalDep, services: ServicesDep
) -> MessageOut:
    new = NewUserMessage(body.content, body.file_ids)
    return MessageOut.of(await services.conversations.post_message(principal, conversation_id, new))


@router.get("/{conversation_id}/messages/{message_id}", responses=responses(401, 404))
async def get_message(
    conversation_id: UUID, message_id: UUID, principal: PrincipalDep, services: ServicesDep
) -> MessageOut:
    message = await services.conversations.get_message(principal, conversation_id, message_id)
    return MessageOut.of(message)


@router.patch("/{conversation_id}/messages/{message_id}", responses=responses(401, 404, 413, 422))
async def update_message(
    conversation_id: UUID,
    message_id: UUID,
    body: MessagePatchIn,
    principal: PrincipalDep,
    services: ServicesDep,
) -> MessageOut:
    message = await services.conversations.update_message(
        principal, conversation_id, message_id, body.content
    )
    return MessageOut.of(message)


@router.delete(
    "/{conversation_id}/messages/{message_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 404),
)
async def delete_message(
    conversation_id: UUID, message_id: UUID, principal: PrincipalDep, services: ServicesDep
) -> Response:
    await services.conversations.delete_message(principal, conversation_id, message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
