"""`OpenAICompatibleProvider` against the scripted upstream over real HTTP."""

from __future__ import annotations

import asyncio

import pytest

from parley.adapters.llm.openai_compatible import OpenAICompatibleProvider
from parley.domain.chat import (
    ChatMessage,
    ChatRequest,
    FinishEvent,
    ImagePart,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    ToolSpec,
    Usage,
    UsageEvent,
)
from tests.adapters.llm.conftest import SECRET_KEY, EndpointFactory, collect, user_request
from tests.support.scripted_upstream import Reply, ScriptedUpstream


async def test_complete_returns_text_usage_and_finish(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(Reply(text="Bonjour tout le monde", usage=(12, 4)))

    completion = await openai_provider.complete(user_request(), openai_endpoint())

    assert completion.text == "Bonjour tout le monde"
    assert completion.usage == Usage(prompt_tokens=12, completion_tokens=4)
    assert completion.finish_reason == "stop"
    sent = upstream.last_request
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert sent.body["stream"] is False
    assert sent.body["messages"] == [{"role": "user", "content": "Hello?"}]


async def test_stream_yields_each_chunk_then_usage_then_finish(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(Reply(text="one two three four five", chunks=5, usage=(7, 5)))

    events = await collect(openai_provider.stream(user_request(), openai_endpoint()))

    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 5
    assert "".join(deltas) == "one two three four five"
    assert events[-2:] == [UsageEvent(Usage(7, 5)), FinishEvent("stop")]
    assert upstream.last_request.body["stream_options"] == {"include_usage": True}


async def test_stream_without_usage_yields_no_usage_event(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(Reply(text="hi", usage=None))

    events = await collect(openai_provider.stream(user_request(), openai_endpoint()))

    assert not any(isinstance(e, UsageEvent) for e in events)
    assert events[-1] == FinishEvent("stop")


async def test_streamed_tool_calls_are_assembled_from_fragments(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(
        Reply(
            text="",
            tool_calls=[
                ("call_1", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
                ("call_2", "get_time", '{"zone": "Europe/Paris"}'),
            ],
        )
    )
    tool = ToolSpec(name="get_weather", description="Weather", parameters={"type": "object"})

    events = await collect(
        openai_provider.stream(user_request(tools=(tool,), tool_choice="auto"), openai_endpoint())
    )

    calls = [e.call for e in events if isinstance(e, ToolCallEvent)]
    assert calls == [
        ToolCall("call_1", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
        ToolCall("call_2", "get_time", '{"zone": "Europe/Paris"}'),
    ]
    assert events[-1] == FinishEvent("tool_calls")
    assert events.index(FinishEvent("tool_calls")) > max(
        i for i, e in enumerate(events) if isinstance(e, ToolCallEvent)
    )
    body = upstream.last_request.body
    assert body["tools"][0]["function"]["name"] == "get_weather"
    assert body["tool_choice"] == "auto"


async def test_complete_returns_tool_calls(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(Reply(text="", tool_calls=[("c9", "lookup", '{"q": "x"}')]))

    completion = await openai_provider.complete(user_request(), openai_endpoint())

    assert completion.tool_calls == (ToolCall("c9", "lookup", '{"q": "x"}'),)
    assert completion.finish_reason == "tool_calls"


async def test_extra_fields_pass_through_but_never_override_core_fields(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    extra = {
        "seed": 42,
        "response_format": {"type": "json_object"},
        "model": "hijacked",
        "messages": [],
        "stream": False,
    }

    await collect(openai_provider.stream(user_request(extra=extra), openai_endpoint()))

    body = upstream.last_request.body
    assert body["seed"] == 42
    assert body["response_format"] == {"type": "json_object"}
    assert body["model"] == "scripted-model"
    assert body["messages"] == [{"role": "user", "content": "Hello?"}]
    assert body["stream"] is True


async def test_tool_history_and_images_use_openai_wire_format(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    request = ChatRequest(
        model="scripted-model",
        messages=(
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(
                role="user",
                content="What is in this picture?",
                images=(ImagePart(media_type="image/png", data=b"\x89PNG"),),
            ),
            ChatMessage(
                role="assistant",
                content="",
                tool_calls=(ToolCall("call_1", "describe", '{"detail": "high"}'),),
            ),
            ChatMessage(role="tool", content="A cat.", tool_call_id="call_1", name="describe"),
        ),
        max_tokens=50,
        temperature=0.2,
        stop=("END",),
    )

    await openai_provider.complete(request, openai_endpoint())

    body = upstream.last_request.body
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "describe", "arguments": '{"detail": "high"}'},
                }
            ],
        },
        {"role": "tool", "content": "A cat.", "tool_call_id": "call_1"},
    ]
    assert (body["max_tokens"], body["temperature"], body["stop"]) == (50, 0.2, ["END"])


async def test_keyless_endpoint_sends_no_authorization(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    endpoint = openai_endpoint()
    keyless = type(endpoint)(base_url=endpoint.base_url, api_key=None, timeouts=endpoint.timeouts)

    await openai_provider.complete(user_request(), keyless)

    assert "authorization" not in upstream.last_request.headers


async def test_provider_must_be_started(openai_endpoint: EndpointFactory) -> None:
    with pytest.raises(RuntimeError):
        await OpenAICompatibleProvider().complete(user_request(), openai_endpoint())


async def test_url_credentials_are_sent_as_basic_auth_not_in_the_url(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    endpoint = openai_endpoint()
    with_credentials = type(endpoint)(
        base_url=endpoint.base_url.replace("http://", "http://user:pa%40ss@"),
        api_key=None,
        timeouts=endpoint.timeouts,
    )

    await openai_provider.complete(user_request(), with_credentials)

    assert upstream.last_request.headers["authorization"] == "Basic dXNlcjpwYUBzcw=="


async def test_many_concurrent_streams_share_one_pool(
    upstream: ScriptedUpstream,
    openai_provider: OpenAICompatibleProvider,
    openai_endpoint: EndpointFactory,
) -> None:
    upstream.set_default(Reply(text="a b c", chunk_gap=0.01))

    results = await asyncio.gather(
        *(collect(openai_provider.stream(user_request(), openai_endpoint())) for _ in range(200))
    )

    assert all(r[-1] == FinishEvent("stop") for r in results)
    assert len(upstream.requests) == 200
