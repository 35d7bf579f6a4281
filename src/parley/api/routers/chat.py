"""`POST /v2/chat/stream`: a turn in a stored conversation, as server-sent events.

Measured in bench/ (scenario 3), so it is served like `POST /v1/chat/completions` (see
api/routers/openai.py): a bare ASGI endpoint, `ChatStreamEndpoint`, dispatched by
`ParleyApp` ahead of the framework's stack. It reads, authenticates and validates exactly as
the FastAPI route did, in the same order, and answers the same problems; the FastAPI route
below only documents the endpoint in the OpenAPI schema. The framework's routing,
dependency solving and `StreamingResponse` (an anyio task group, and every chunk through
the middleware's send wrappers) cost about a fifth of a turn (bench/NOTES.md).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from parley.api.errors import render_error, responses
from parley.api.raw import (
    REQUEST_ERRORS,
    encode_headers,
    read_request,
    request_error_response,
    send_event_stream,
)
from parley.api.schemas.chat import ChatStreamIn
from parley.api.schemas.conversations import ConversationOut, MessageOut
from parley.api.sse import SSE_START_HEADERS, sse_event
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

PATH = "/v2/chat/stream"


@router.post(
    PATH,
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The turn, as events"},
        **responses(401, 403, 404, 422, 429),
    },
)
async def chat_stream(body: ChatStreamIn) -> StreamingResponse:  # pragma: no cover
    """Schema only: requests are served by `ChatStreamEndpoint`, routed ahead of this.

    Needs a bearer token (a session's access token or an API key) or `X-API-Key`."""
    raise RuntimeError("POST /v2/chat/stream is served by ChatStreamEndpoint")


class ChatStreamEndpoint:
    """The ASGI endpoint of `POST /v2/chat/stream`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            read = await read_request(scope, receive, ChatStreamIn, PATH)
            if read is None:
                return  # the client left before its request arrived
            services, principal, request = read
            turn = await services.chat.stream_chat(principal, request.turn())
        except REQUEST_ERRORS as error:
            await request_error_response(error, PATH)(scope, receive, send)
            return
        start = [
            *SSE_START_HEADERS,
            (b"x-parley-model", turn.model.name.encode()),
            *encode_headers(turn.headers),
        ]
        try:
            await send_event_stream(receive, send, start, _render(turn.events()))
        finally:
            await turn.aclose()  # the reply kept and the turn accounted, however it ended


async def _render(events: AsyncIterator[TurnEvent]) -> AsyncGenerator[bytes, None]:
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
