"""Retries, fallbacks and circuit breakers against the scripted model server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings, serve_app
from tests.support.models import add_model
from tests.support.scripted_upstream import Drop, Fail, Reply, ScriptedUpstream
from tests.support.sse import parse_events
from tests.support.users import SignedIn, sign_up


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


async def chat(
    client: httpx.AsyncClient, who: SignedIn, model: str, **extra: Any
) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    return await client.post("/v1/chat/completions", headers=who.headers, json=body)


async def test_a_failure_is_retried_then_succeeds(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    root = await sign_up(client, "root")
    await add_model(client, root, "m", upstream.openai_base_url)
    upstream.enqueue(Fail(502), Reply(text="second time lucky"))
    response = await chat(client, root, "m")
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "second time lucky"
    assert len(upstream.requests) == 2


async def test_429_retry_after_is_honoured(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    root = await sign_up(client, "root")
    await add_model(client, root, "m", upstream.openai_base_url)
    upstream.enqueue(Fail(429, retry_after=1), Reply(text="ok"))
    started = time.monotonic()
    response = await chat(client, root, "m")
    assert response.status_code == 200
    gap = upstream.requests[1].received_at - upstream.requests[0].received_at
    assert gap >= 0.95, f"retried after {gap:.3f}s, before the provider's Retry-After"
    assert time.monotonic() - started < 5


async def test_a_retry_after_beyond_the_deadline_fails_fast_with_retry_after(
    tmp_path: Path, database_url: str, upstream: ScriptedUpstream
) -> None:
    settings = make_settings(tmp_path, database_url, routing_deadline_seconds=2)
    async with serve_app(settings) as (client, _):
        root = await sign_up(client, "root")
        await add_model(client, root, "m", upstream.openai_base_url)
        upstream.enqueue(Fail(429, retry_after=30))
        started = time.monotonic()
        response = await chat(client, root, "m")
        assert time.monotonic() - started < 1.5
        assert response.status_code == 503
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["error"]["type"] == "server_error"
        assert upstream.base_url not in response.text
        assert len(upstream.requests) == 1


async def test_fallback_serves_when_the_first_model_keeps_failing(
    client: httpx.AsyncClient,
) -> None:
    root = await sign_up(client, "root")
    async with ScriptedUpstream() as primary, ScriptedUpstream() as backup:
        await add_model(client, root, "backup", backup.openai_base_url)
        await add_model(client, root, "primary", primary.openai_base_url, fallbacks=["backup"])
        primary.enqueue(Fail(500), Fail(500), Fail(500))
        backup.enqueue(Reply(text="from the backup"))
        response = await chat(client, root, "primary")
        assert response.status_code == 200
        assert response.headers["x-parley-model"] == "backup"
        assert response.json()["model"] == "backup"
        assert response.json()["choices"][0]["message"]["content"] == "from the backup"
        assert len(primary.requests) == 3 and len(backup.requests) == 1


async def test_provider_auth_failure_is_not_retried(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    root = await sign_up(client, "root")
    await add_model(client, root, "m", upstream.openai_base_url)
    upstream.enqueue(
        Fail(401, body={"error": {"message": "bad key sk-live-SECRET", "type": "auth"}})
    )
    response = await chat(client, root, "m")
    assert response.status_code == 502
    assert "SECRET" not in response.text
    assert len(upstream.requests) == 1


async def test_circuit_opens_fails_fast_half_opens_and_closes(
    tmp_path: Path, database_url: str, upstream: ScriptedUpstream
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        retry_max_attempts=1,
        breaker_consecutive_failures=2,
        breaker_cooldown_seconds=0.5,
    )
    async with serve_app(settings) as (client, _):
        root = await sign_up(client, "root")
        await add_model(client, root, "m", upstream.openai_base_url)
        upstream.enqueue(Fail(500), Fail(500))
        assert (await chat(client, root, "m")).status_code == 503
        assert (await chat(client, root, "m")).status_code == 503
        assert len(upstream.requests) == 2
        started = time.monotonic()
        refused = await chat(client, root, "m")
        assert refused.status_code == 503 and "retry-after" in refused.headers
        assert time.monotonic() - started < 0.2
        assert len(upstream.requests) == 2  # the open circuit never called the provider
        metrics = (await client.get("/metrics")).text
        assert 'parley_circuit_state{model="m"} 2.0' in metrics
        time.sleep(0.6)
        upstream.enqueue(Reply(text="I am back"))
        probe = await chat(client, root, "m")  # half-open: one probe goes through
        assert probe.status_code == 200
        assert (await chat(client, root, "m")).status_code == 200  # closed again
        assert len(upstream.requests) == 4
        assert 'parley_circuit_state{model="m"} 0.0' in (await client.get("/metrics")).text


async def test_no_retry_once_the_stream_has_started(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    root = await sign_up(client, "root")
    await add_model(client, root, "m", upstream.openai_base_url)
    reply = Reply(text="one two three four", chunks=4)
    upstream.enqueue(Drop(after_chunks=2, reply=reply))
    response = await chat(client, root, "m", stream=True)
    assert response.status_code == 200
    events = parse_events(response.text)
    text = "".join(
        e.data["choices"][0]["delta"].get("content") or ""
        for e in events
        if isinstance(e.data, dict) and e.data.get("choices")
    )
    assert text == "".join(reply.pieces()[:2])
    assert "error" in events[-1].data
    assert len(upstream.requests) == 1
