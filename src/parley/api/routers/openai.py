"""`POST /v1/chat/completions`: OpenAI Chat Completions, streamed and not.

The hot path of the gateway, so it is a bare ASGI endpoint (`ChatCompletionsEndpoint`,
dispatched by `ParleyApp` in api/app.py ahead of Starlette's middleware stack, through
Parley's own middleware; also a `RawRoute` first in the router) rather than a FastAPI
handler: the framework's per-request work (dependency solving, a worker thread for sync
dependencies, Request/Response objects, an anyio task group per stream) cost more CPU than
the whole use case (see bench/RESULTS.md). It does exactly what the FastAPI route did, in
the same order: read the body (under the body-size middleware), decode JSON as FastAPI
does, authenticate with the same service, validate with the same pydantic schema (so the
422s are the same), call the same use cases, and render with the same renderers. The
FastAPI route below only documents the endpoint in the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from fastapi import APIRouter
from starlette.types import Receive, Scope, Send

from parley import jsonio
from parley.api.errors import classify, responses
from parley.api.openai_format import ChunkWriter, completion_json, openai_error, tool_call_json
from parley.api.raw import (
    REQUEST_ERRORS,
    encode_headers,
    read_request,
    request_error_response,
    send_event_stream,
    send_response,
)
from parley.api.schemas.openai import ChatCompletionIn
from parley.api.sse import SSE_DONE, SSE_START_HEADERS, sse_data
from parley.application.chat.completions import CompletionInput, CompletionResult
from parley.application.chat.metering import MeteredStream
from parley.domain.chat import FinishEvent, TextDelta, ToolCallEvent, Usage, UsageEvent
from parley.domain.errors import ParleyError

router = APIRouter(tags=["openai-compatible"])

PATH = "/v1/chat/completions"
MODEL_HEADER = b"x-parley-model"
JSON_TYPE = b"application/json"


@router.post(
    PATH,
    response_model=None,
    responses=responses(401, 403, 404, 413, 422, 429),
    summary="OpenAI Chat Completions (streamed with `stream: true`)",
)
async def chat_completions(body: ChatCompletionIn) -> None:  # pragma: no cover
    """Schema only: requests are served by `ChatCompletionsEndpoint`, routed ahead of this."""
    raise RuntimeError("POST /v1/chat/completions is served by ChatCompletionsEndpoint")


class ChatCompletionsEndpoint:
    """The ASGI endpoint of `POST /v1/chat/completions`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            read = await read_request(scope, receive, ChatCompletionIn, PATH)
            if read is None:
                return  # the client left before its request arrived
            services, principal, request = read
            data = CompletionInput(request.model, request.chat_messages(), request.options())
            if not request.stream:

                async def deliver(result: CompletionResult) -> None:
                    rendered = jsonio.dumps(completion_json(result.model.name, result.completion))
                    extra = [
                        (MODEL_HEADER, result.model.name.encode()),
                        *encode_headers(result.headers),
                    ]
                    await send_response(send, 200, rendered, JSON_TYPE, extra)

                await services.chat.complete(principal, data, deliver)
                return
            stream = await services.chat.stream_completion(principal, data)
        except REQUEST_ERRORS as error:
            await request_error_response(error, PATH)(scope, receive, send)
            return
        include_usage = bool(request.stream_options and request.stream_options.include_usage)
        await _stream(stream, include_usage, receive, send)


async def _stream(stream: MeteredStream, include_usage: bool, receive: Receive, send: Send) -> None:
    """Send the SSE stream, one send per chunk as it arrives; stop it (closing the upstream
    call, accounting the partial answer) when the client disconnects. A provider failure
    mid-stream ends it with an OpenAI error event."""
    headers = [
        *SSE_START_HEADERS,
        (MODEL_HEADER, stream.model.name.encode()),
        *encode_headers(stream.headers),
    ]
    try:
        await send_event_stream(receive, send, headers, _chunks(stream, include_usage))
    finally:
        await stream.aclose()  # the upstream call closed and the stream accounted, always


async def _chunks(stream: MeteredStream, include_usage: bool) -> AsyncGenerator[bytes, None]:
    writer = ChunkWriter(stream.model.name)
    yield sse_data(writer.chunk({"role": "assistant", "content": ""}))
    usage: Usage | None = None
    tool_index = 0
    try:
        async for event in stream:
            if isinstance(event, TextDelta):
                yield writer.text_event(event.text)
            elif isinstance(event, ToolCallEvent):
                call = tool_call_json(event.call, tool_index)
                yield sse_data(writer.chunk({"tool_calls": [call]}))
                tool_index += 1
            elif isinstance(event, UsageEvent):
                usage = event.usage
            elif isinstance(event, FinishEvent):
                yield sse_data(writer.chunk({}, event.reason))
    except ParleyError as error:
        status, slug = classify(error)
        yield sse_data(openai_error(status, error.detail, slug))
        return
    if include_usage and usage is not None:
        yield sse_data(writer.usage_chunk(usage))
    yield SSE_DONE
