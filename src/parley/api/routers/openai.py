"""`POST /v1/chat/completions`: OpenAI Chat Completions, streamed and not."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import classify
from parley.api.openai_format import ChunkWriter, completion_json, openai_error, tool_call_json
from parley.api.schemas.openai import ChatCompletionIn
from parley.api.sse import SSE_DONE, SSE_HEADERS, sse_data
from parley.application.chat.completions import CompletionInput
from parley.application.chat.metering import MeteredStream
from parley.domain.chat import FinishEvent, TextDelta, ToolCallEvent, Usage, UsageEvent
from parley.domain.errors import ParleyError

router = APIRouter(tags=["openai-compatible"])

MODEL_HEADER = "X-Parley-Model"


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionIn, principal: PrincipalDep, services: ServicesDep
) -> JSONResponse | StreamingResponse:
    data = CompletionInput(body.model, body.chat_messages(), body.options())
    if not body.stream:
        result = await services.chat.complete(principal, data)
        return JSONResponse(
            completion_json(result.model.name, result.completion),
            headers={MODEL_HEADER: result.model.name},
        )
    stream = await services.chat.stream_completion(principal, data)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    return StreamingResponse(
        _chunks(stream, include_usage),
        media_type="text/event-stream",
        headers={**SSE_HEADERS, MODEL_HEADER: stream.model.name},
    )


async def _chunks(stream: MeteredStream, include_usage: bool) -> AsyncIterator[bytes]:
    writer = ChunkWriter(stream.model.name)
    usage: Usage | None = None
    tool_index = 0
    yield sse_data(writer.chunk({"role": "assistant", "content": ""}))
    try:
        async for event in stream:
            if isinstance(event, TextDelta):
                yield sse_data(writer.chunk({"content": event.text}))
            elif isinstance(event, ToolCallEvent):
                yield sse_data(
                    writer.chunk({"tool_calls": [tool_call_json(event.call, tool_index)]})
                )
                tool_index += 1
            elif isinstance(event, UsageEvent):
                usage = event.usage
            elif isinstance(event, FinishEvent):
                yield sse_data(writer.chunk({}, event.reason))
    except ParleyError as error:
        status, slug = classify(error)
        yield sse_data(openai_error(status, error.detail, slug))
        return
    finally:
        await stream.aclose()
    if include_usage and usage is not None:
        yield sse_data(writer.usage_chunk(usage))
    yield SSE_DONE
