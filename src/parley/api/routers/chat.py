"""`POST /v2/chat/stream`: a turn in a stored conversation, as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import render_error, responses
from parley.api.schemas.chat import ChatStreamIn
from parley.api.schemas.conversations import ConversationOut, MessageOut
from parley.api.sse import SSE_HEADERS, sse_event
from parley.application.chat.turn_events import (
    ConversationReady,
    ReplyDelta,
    ReplyStored,
    ToolCallRequested,
    ToolResultReady,
    TurnEvent,
    TurnFailed,
    UsageReported,
    UserMessageStored,
)

router = APIRouter(tags=["chat"])


@router.post(
    "/v2/chat/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The turn, as events"},
        **responses(401, 403, 404, 422, 429),
    },
)
async def chat_stream(
    body: ChatStreamIn, principal: PrincipalDep, services: ServicesDep
) -> StreamingResponse:
    turn = await services.chat.stream_chat(principal, body.turn())
    return StreamingResponse(
        _render(turn.events()),
        media_type="text/event-stream",
        headers={**SSE_HEADERS, "X-Parley-Model": turn.model.name},
    )


async def _render(events: AsyncIterator[TurnEvent]) -> AsyncIterator[bytes]:
    async for event in events:
        if isinstance(event, ReplyDelta):
            yield sse_event("delta", {"text": event.text})
        elif isinstance(event, ConversationReady):
            data = ConversationOut.of(event.conversation).model_dump(mode="json")
            yield sse_event("conversation", {**data, "created": event.created})
        elif isinstance(event, UserMessageStored):
            yield sse_event("message", MessageOut.of(event.message).model_dump(mode="json"))
        elif isinstance(event, ToolCallRequested):
            call = event.call
            yield sse_event(
                "tool_call", {"id": call.id, "name": call.name, "arguments": call.arguments}
            )
        elif isinstance(event, ToolResultReady):
            yield sse_event(
                "tool_result",
                {
                    "tool_call_id": event.tool_call_id,
                    "name": event.name,
                    "content": event.content,
                    "is_error": event.is_error,
                },
            )
        elif isinstance(event, UsageReported):
            usage = event.usage
            yield sse_event(
                "usage",
                {
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "total_tokens": usage.total_tokens,
                    "estimated": usage.estimated,
                },
            )
        elif isinstance(event, ReplyStored):
            yield sse_event("done", MessageOut.of(event.message).model_dump(mode="json"))
        elif isinstance(event, TurnFailed):
            problem = render_error(event.error)
            if event.message is not None:
                problem["message"] = MessageOut.of(event.message).model_dump(mode="json")
            yield sse_event("error", problem)
