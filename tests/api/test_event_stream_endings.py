"""A client that leaves before the first chunk of an event stream is sent: the request is
still accounted (a usage record, the limits settled) and the upstream closed — for both
streamed endpoints, driven through their ASGI endpoints with a client that reads the
response head and then stops reading."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from parley.api.routers.chat import ChatStreamEndpoint
from parley.api.routers.openai import ChatCompletionsEndpoint
from parley.api.schemas.chat import ChatStreamIn
from parley.api.schemas.openai import ChatCompletionIn
from parley.application.chat.completions import CompletionInput
from parley.container import Container
from tests.support.models import add_model
from tests.support.scripted_upstream import Reply, ScriptedUpstream
from tests.support.users import SignedIn, sign_up


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


async def _usage(container: Container) -> list[tuple[str, str]]:
    await container.usage_sink.flush()
    async with container.engine.connect() as connection:
        result = await connection.execute(text("SELECT endpoint, status FROM usage_logs"))
        return [(row.endpoint, row.status) for row in result]


async def _leave_after_the_head(
    endpoint: Any, container: Container, path: str, token: str, body: bytes
) -> list[dict[str, Any]]:
    """Send one request; the client takes the response head, then hangs up while the first
    body chunk is being written (that send never completes)."""
    gone = asyncio.Event()
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            gone.set()
            await asyncio.Event().wait()  # the client stopped reading

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "app": SimpleNamespace(services=container.services),
    }
    async with asyncio.timeout(5):
        await endpoint(scope, receive, send)
    return sent


async def _model(client: httpx.AsyncClient, upstream: ScriptedUpstream) -> SignedIn:
    root = await sign_up(client, "root")
    await add_model(client, root, "m", upstream.openai_base_url)
    return root


async def test_a_completion_stream_left_before_its_first_chunk_is_accounted(
    client: httpx.AsyncClient, container: Container, upstream: ScriptedUpstream
) -> None:
    root = await _model(client, upstream)
    upstream.enqueue(Reply(text="never read", chunks=4, chunk_gap=0.05))
    body = b'{"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
    sent = await _leave_after_the_head(
        ChatCompletionsEndpoint(), container, "/v1/chat/completions", root.access_token, body
    )
    assert sent[0]["status"] == 200
    assert await _usage(container) == [("chat.completions", "cancelled")]
    await upstream.wait_client_disconnect(timeout=2.0)  # the upstream call was closed


async def test_a_turn_left_before_its_first_event_is_accounted_and_keeps_the_message(
    client: httpx.AsyncClient, container: Container, upstream: ScriptedUpstream
) -> None:
    root = await _model(client, upstream)
    upstream.enqueue(Reply(text="never read"))
    sent = await _leave_after_the_head(
        ChatStreamEndpoint(),
        container,
        "/v2/chat/stream",
        root.access_token,
        b'{"message": "hi", "model": "m"}',
    )
    assert sent[0]["status"] == 200
    assert await _usage(container) == [("chat.stream", "cancelled")]
    conversations = (await client.get("/v1/conversations", headers=root.headers)).json()["items"]
    assert len(conversations) == 1
    messages = await client.get(
        f"/v1/conversations/{conversations[0]['id']}/messages", headers=root.headers
    )
    assert [m["role"] for m in messages.json()["items"]] == ["user"]


async def test_streams_never_iterated_are_accounted_when_closed(
    client: httpx.AsyncClient, container: Container, upstream: ScriptedUpstream
) -> None:
    root = await _model(client, upstream)
    upstream.enqueue(Reply(text="never read", chunks=4, chunk_gap=0.05))
    principal = await container.services.identity.authenticate(root.access_token)
    turn = await container.services.chat.stream_chat(
        principal, ChatStreamIn(message="hi", model="m").turn()
    )
    await turn.aclose()
    await turn.aclose()  # closing twice accounts once
    data = ChatCompletionIn.model_validate(
        {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    )
    stream = await container.services.chat.stream_completion(
        principal, CompletionInput(data.model, data.chat_messages(), data.options())
    )
    await stream.aclose()
    await upstream.wait_client_disconnect(timeout=2.0)
    assert sorted(await _usage(container)) == [
        ("chat.completions", "cancelled"),
        ("chat.stream", "cancelled"),
    ]
