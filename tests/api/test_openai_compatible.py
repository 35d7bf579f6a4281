"""`/v1/chat/completions` and `/v1/models` through the official `openai` SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from tests.support.models import add_model
from tests.support.scripted_upstream import Fail, Reply, ScriptedUpstream
from tests.support.transports import app_and_client  # noqa: F401 (both transports)
from tests.support.users import SignedIn, sign_up


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "root")


@pytest.fixture
async def api_key(client: httpx.AsyncClient, admin: SignedIn) -> str:
    response = await client.post("/v1/api-keys", headers=admin.headers, json={"name": "sdk"})
    key: str = response.json()["key"]
    return key


def sdk(client: httpx.AsyncClient, api_key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url="http://parley.test/v1", api_key=api_key, http_client=client, max_retries=0
    )


async def test_models_list_and_echo_completion(client: httpx.AsyncClient, api_key: str) -> None:
    openai_client = sdk(client, api_key)
    models = [m.id for m in (await openai_client.models.list()).data]
    assert "echo" in models
    completion = await openai_client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "hello from the SDK"}]
    )
    assert completion.model == "echo"
    assert "hello from the SDK" in (completion.choices[0].message.content or "")
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0


async def test_streaming_with_usage(
    client: httpx.AsyncClient, admin: SignedIn, api_key: str, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(Reply(text="alpha beta gamma", chunks=3, usage=(11, 3)))
    stream = await sdk(client, api_key).chat.completions.create(
        model="scripted",
        messages=[{"role": "user", "content": "go"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "alpha beta gamma"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 11
    assert all(c.model == "scripted" for c in chunks)


async def test_typed_errors(
    client: httpx.AsyncClient, api_key: str, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    with pytest.raises(openai.AuthenticationError):
        await sdk(client, "pk-wrong").chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(openai.NotFoundError) as missing:
        await sdk(client, api_key).chat.completions.create(
            model="does-not-exist", messages=[{"role": "user", "content": "x"}]
        )
    assert "does-not-exist" in str(missing.value)
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(Fail(500), Fail(500), Fail(500))
    with pytest.raises(openai.InternalServerError):
        await sdk(client, api_key).chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": "x"}]
        )


async def test_unknown_fields_pass_through_and_redirects_are_refused(
    client: httpx.AsyncClient, admin: SignedIn, api_key: str, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    await sdk(client, api_key).chat.completions.create(
        model="scripted",
        messages=[{"role": "user", "content": "x"}],
        extra_body={"seed": 42, "logit_bias": {"50256": -100}},
    )
    sent = upstream.requests[-1].body
    assert sent["seed"] == 42 and sent["logit_bias"] == {"50256": -100}
    assert sent["model"] == "scripted-model"
    for field in ("api_base", "base_url", "api_key", "extra_headers"):
        with pytest.raises(openai.UnprocessableEntityError):
            await sdk(client, api_key).chat.completions.create(
                model="scripted",
                messages=[{"role": "user", "content": "x"}],
                extra_body={field: "http://169.254.169.254/"},
            )
    assert len(upstream.requests) == 1


async def test_tool_calls_are_returned_unchanged(
    client: httpx.AsyncClient, admin: SignedIn, api_key: str, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(Reply(text="", tool_calls=[("call_1", "get_weather", '{"city": "Oslo"}')]))
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    completion = await sdk(client, api_key).chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "weather?"}], tools=tools
    )
    call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert (call.id, call.function.name, call.function.arguments) == (
        "call_1",
        "get_weather",
        '{"city": "Oslo"}',
    )
    assert completion.choices[0].finish_reason == "tool_calls"
    assert upstream.requests[-1].body["tools"][0]["function"]["name"] == "get_weather"


async def test_errors_use_openais_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat/completions", json={"model": "echo", "messages": []})
    assert response.status_code == 401
    assert set(response.json()["error"]) >= {"message", "type", "code"}
