"""`AnthropicProvider` against the scripted upstream's Messages API over real HTTP."""

from __future__ import annotations

from parley.adapters.llm.anthropic import AnthropicProvider
from parley.adapters.llm.anthropic_wire import DEFAULT_MAX_TOKENS
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


async def test_complete_returns_text_usage_and_mapped_finish(
    upstream: ScriptedUpstream,
    anthropic_provider: AnthropicProvider,
    anthropic_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(Reply(text="Hello, human.", usage=(21, 3), finish_reason="length"))

    completion = await anthropic_provider.complete(user_request(), anthropic_endpoint())

    assert completion.text == "Hello, human."
    assert completion.usage == Usage(21, 3)
    assert completion.finish_reason == "length"
    sent = upstream.last_request
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == SECRET_KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    assert sent.body["max_tokens"] == DEFAULT_MAX_TOKENS


async def test_stream_yields_deltas_usage_and_finish(
    upstream: ScriptedUpstream,
    anthropic_provider: AnthropicProvider,
    anthropic_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(Reply(text="one two three four", chunks=4, usage=(30, 9)))

    events = await collect(anthropic_provider.stream(user_request(), anthropic_endpoint()))

    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 4
    assert "".join(deltas) == "one two three four"
    assert events[-2:] == [UsageEvent(Usage(30, 9)), FinishEvent("stop")]


async def test_streamed_tool_use_blocks_are_assembled(
    upstream: ScriptedUpstream,
    anthropic_provider: AnthropicProvider,
    anthropic_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(
        Reply(
            text="Let me check.",
            tool_calls=[
                ("toolu_1", "get_weather", '{"city": "Oslo"}'),
                ("toolu_2", "get_time", '{"zone": "CET", "format": "24h"}'),
            ],
        )
    )

    events = await collect(anthropic_provider.stream(user_request(), anthropic_endpoint()))

    calls = [e.call for e in events if isinstance(e, ToolCallEvent)]
    assert calls == [
        ToolCall("toolu_1", "get_weather", '{"city": "Oslo"}'),
        ToolCall("toolu_2", "get_time", '{"zone": "CET", "format": "24h"}'),
    ]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Let me check."
    assert events[-1] == FinishEvent("tool_calls")


async def test_complete_returns_tool_use_as_tool_calls(
    upstream: ScriptedUpstream,
    anthropic_provider: AnthropicProvider,
    anthropic_endpoint: EndpointFactory,
) -> None:
    upstream.enqueue(Reply(text="", tool_calls=[("toolu_9", "lookup", '{"q": "x"}')]))

    completion = await anthropic_provider.complete(user_request(), anthropic_endpoint())

    assert completion.tool_calls == (ToolCall("toolu_9", "lookup", '{"q":"x"}'),)
    assert completion.finish_reason == "tool_calls"


async def test_request_uses_the_messages_api_shapes(
    upstream: ScriptedUpstream,
    anthropic_provider: AnthropicProvider,
    anthropic_endpoint: EndpointFactory,
) -> None:
    request = ChatRequest(
        model="claude-test",
        messages=(
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(
                role="user",
                content="Weather here?",
                images=(ImagePart(media_type="image/jpeg", data=b"\xff\xd8"),),
            ),
            ChatMessage(
                role="assistant",
                content="Checking.",
                tool_calls=(ToolCall("toolu_1", "get_weather", '{"city": "Oslo"}'),),
            ),
            ChatMessage(role="tool", content="Sunny", tool_call_id="toolu_1"),
            ChatMessage(role="user", content="Thanks"),
        ),
        tools=(ToolSpec("get_weather", "Weather", {"type": "object"}),),
        tool_choice="required",
        max_tokens=100,
        stop=("END",),
        extra={"seed": 1},
    )

    await anthropic_provider.complete(request, anthropic_endpoint())

    body = upstream.last_request.body
    assert body["system"] == "Be brief."
    assert body["max_tokens"] == 100
    assert body["stop_sequences"] == ["END"]
    assert body["tools"] == [
        {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}
    ]
    assert body["tool_choice"] == {"type": "any"}
    assert "seed" not in body
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9g="},
                },
                {"type": "text", "text": "Weather here?"},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"city": "Oslo"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny"},
                {"type": "text", "text": "Thanks"},
            ],
        },
    ]
