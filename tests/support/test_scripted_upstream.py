"""The scripted upstream itself: the official OpenAI SDK must accept it, and it must work
from sync code through its background thread."""

from __future__ import annotations

import time

import httpx
import pytest
from openai import AsyncOpenAI, OpenAI

from tests.support.scripted_upstream import DEFAULT_TEXT, Drop, Fail, Hang, Reply, ScriptedUpstream


@pytest.fixture
def threaded_upstream():  # type: ignore[no-untyped-def]
    upstream = ScriptedUpstream()
    upstream.start_in_thread()
    yield upstream
    upstream.stop()


def test_openai_sdk_non_streamed(threaded_upstream: ScriptedUpstream) -> None:
    threaded_upstream.enqueue(Reply(text="Hi from the fake", usage=(3, 4)))
    client = OpenAI(base_url=threaded_upstream.openai_base_url, api_key="x", max_retries=0)

    completion = client.chat.completions.create(
        model="scripted-model", messages=[{"role": "user", "content": "hi"}]
    )

    assert completion.choices[0].message.content == "Hi from the fake"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens == 7


def test_openai_sdk_streamed_with_usage_and_tool_calls(threaded_upstream: ScriptedUpstream) -> None:
    threaded_upstream.enqueue(Reply(text="a b c", tool_calls=[("c1", "f", '{"x": 1}')]))
    client = OpenAI(base_url=threaded_upstream.openai_base_url, api_key="x", max_retries=0)

    stream = client.chat.completions.create(
        model="scripted-model",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    arguments = "".join(
        call.function.arguments or ""
        for c in chunks
        if c.choices and c.choices[0].delta.tool_calls
        for call in c.choices[0].delta.tool_calls
        if call.function is not None
    )
    assert text == "a b c"
    assert arguments == '{"x": 1}'
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 10


def test_openai_sdk_sees_scripted_errors(threaded_upstream: ScriptedUpstream) -> None:
    import openai

    threaded_upstream.enqueue(Fail(429, retry_after=1))
    client = OpenAI(base_url=threaded_upstream.openai_base_url, api_key="x", max_retries=0)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])


def test_openai_sdk_lists_models(threaded_upstream: ScriptedUpstream) -> None:
    client = OpenAI(base_url=threaded_upstream.openai_base_url, api_key="x", max_retries=0)
    assert [m.id for m in client.models.list()] == ["scripted-model"]


async def test_async_openai_sdk_against_in_loop_server() -> None:
    async with ScriptedUpstream() as upstream:
        client = AsyncOpenAI(base_url=upstream.openai_base_url, api_key="x", max_retries=0)
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        await client.close()
    assert text == DEFAULT_TEXT


def test_default_reply_when_queue_is_empty_and_requests_are_recorded(
    threaded_upstream: ScriptedUpstream,
) -> None:
    response = httpx.post(
        threaded_upstream.openai_base_url + "/chat/completions",
        json={"model": "m", "messages": []},
        headers={"X-Trace": "t1"},
    )
    assert response.json()["choices"][0]["message"]["content"] == DEFAULT_TEXT
    record = threaded_upstream.last_request
    assert record.headers["x-trace"] == "t1"
    assert record.body == {"model": "m", "messages": []}
    assert record.completed_at is not None and not record.client_disconnected


def test_blocking_wait_sees_a_client_hanging_up(threaded_upstream: ScriptedUpstream) -> None:
    threaded_upstream.enqueue(Hang(5))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            threaded_upstream.openai_base_url + "/chat/completions",
            json={"model": "m"},
            timeout=0.2,
        )
    record = threaded_upstream.wait_client_disconnect_blocking(timeout=1.0)
    assert record.client_disconnected_at is not None
    assert record.client_disconnected_at - record.received_at < 1.0


def test_drop_is_not_mistaken_for_a_client_disconnect(threaded_upstream: ScriptedUpstream) -> None:
    threaded_upstream.enqueue(Drop(after_chunks=1))
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST",
            threaded_upstream.openai_base_url + "/chat/completions",
            json={"model": "m", "stream": True},
        ) as response,
    ):
        for _ in response.iter_bytes():
            pass
    time.sleep(0.1)
    record = threaded_upstream.last_request
    assert record.dropped_by_server and not record.client_disconnected
    with pytest.raises(TimeoutError):
        threaded_upstream.wait_client_disconnect_blocking(timeout=0.1)
