"""The built-in demo model."""

from __future__ import annotations

from parley.adapters.llm.echo import DEMO_LABEL, EchoProvider
from parley.application.ports.chat_provider import ProviderEndpoint
from parley.domain.chat import ChatMessage, ChatRequest, FinishEvent, TextDelta, UsageEvent
from parley.domain.models import Timeouts
from tests.adapters.llm.conftest import collect, user_request

ENDPOINT = ProviderEndpoint(base_url="", api_key=None, timeouts=Timeouts())


async def test_echo_repeats_the_last_user_message_labelled_as_demo() -> None:
    request = ChatRequest(
        model="echo",
        messages=(
            ChatMessage(role="user", content="first"),
            ChatMessage(role="assistant", content="..."),
            ChatMessage(role="user", content="What   is Parley?"),
        ),
    )

    completion = await EchoProvider().complete(request, ENDPOINT)

    assert completion.text == f"{DEMO_LABEL} You said: What is Parley?"
    assert completion.finish_reason == "stop"
    assert completion.tool_calls == ()
    assert completion.usage is not None and completion.usage.estimated


async def test_echo_streams_word_by_word_with_estimated_usage() -> None:
    events = await collect(EchoProvider().stream(user_request("hello there"), ENDPOINT))

    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert deltas == ["[Parley ", "demo ", "model] ", "You ", "said: ", "hello ", "there"]
    usage = events[-2]
    assert isinstance(usage, UsageEvent)
    assert usage.usage.estimated
    assert usage.usage.prompt_tokens > 0 and usage.usage.completion_tokens > 0
    assert events[-1] == FinishEvent("stop")


async def test_echo_is_deterministic() -> None:
    provider = EchoProvider()
    first = await collect(provider.stream(user_request("same"), ENDPOINT))
    second = await collect(provider.stream(user_request("same"), ENDPOINT))
    assert first == second


async def test_echo_honours_max_tokens() -> None:
    completion = await EchoProvider().complete(
        user_request("a long message " * 20, max_tokens=5), ENDPOINT
    )
    assert completion.finish_reason == "length"
    assert completion.text.startswith("[Parley")
    assert completion.usage is not None and completion.usage.completion_tokens <= 5


async def test_echo_without_user_message_greets() -> None:
    request = ChatRequest(model="echo", messages=(ChatMessage(role="system", content="x"),))
    completion = await EchoProvider().complete(request, ENDPOINT)
    assert completion.text.startswith(DEMO_LABEL)
