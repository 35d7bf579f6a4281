"""How the HTTP adapters fail: error mapping, timeouts, broken streams, cancellation.

Every case runs over real HTTP against the scripted upstream, for both adapters where
the behaviour is shared.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from parley.adapters.llm.anthropic import AnthropicProvider
from parley.adapters.llm.openai_compatible import OpenAICompatibleProvider
from parley.application.ports.chat_provider import ProviderEndpoint
from parley.domain.chat import TextDelta
from parley.domain.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderRejected,
    ProviderStreamBroken,
    ProviderTimeout,
    ProviderUnavailable,
)
from parley.domain.models import Timeouts
from tests.adapters.llm.conftest import SECRET_KEY, EndpointFactory, collect, user_request
from tests.support.scripted_upstream import Drop, Fail, Hang, Reply, ScriptedUpstream

Provider = OpenAICompatibleProvider | AnthropicProvider
ProviderCase = tuple[Provider, EndpointFactory]


@pytest.fixture(params=["openai", "anthropic"])
async def provider_and_endpoint(
    request: pytest.FixtureRequest, upstream: ScriptedUpstream
) -> AsyncIterator[ProviderCase]:
    """Each test runs against both adapters; returns (provider, make_endpoint)."""
    provider: Provider = (
        OpenAICompatibleProvider() if request.param == "openai" else AnthropicProvider()
    )
    base = upstream.openai_base_url if request.param == "openai" else upstream.base_url
    await provider.start()

    def make(**timeouts: float) -> ProviderEndpoint:
        return ProviderEndpoint(base_url=base, api_key=SECRET_KEY, timeouts=Timeouts(**timeouts))

    yield provider, make
    await provider.aclose()


async def test_429_with_retry_after_seconds_is_unavailable_with_hint(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Fail(429, retry_after=7))

    with pytest.raises(ProviderUnavailable) as caught:
        await collect(provider.stream(user_request(), endpoint()))

    assert caught.value.status == 429
    assert caught.value.retry_after == 7.0
    assert caught.value.retryable


async def test_retry_after_as_http_date_is_converted_to_seconds(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    when = datetime.now(UTC) + timedelta(seconds=30)
    upstream.enqueue(Fail(503, retry_after=format_datetime(when, usegmt=True)))

    with pytest.raises(ProviderUnavailable) as caught:
        await provider.complete(user_request(), endpoint())

    assert caught.value.retry_after is not None
    assert 25 <= caught.value.retry_after <= 31


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (500, ProviderUnavailable),
        (502, ProviderUnavailable),
        (529, ProviderUnavailable),
        (401, ProviderAuthFailed),
        (403, ProviderAuthFailed),
        (400, ProviderRejected),
        (404, ProviderRejected),
        (422, ProviderRejected),
    ],
)
async def test_http_status_maps_to_provider_error(
    upstream: ScriptedUpstream,
    provider_and_endpoint: ProviderCase,
    status: int,
    error_type: type[ProviderError],
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Fail(status), Fail(status))

    with pytest.raises(error_type) as streamed:
        await collect(provider.stream(user_request(), endpoint()))
    with pytest.raises(error_type) as completed:
        await provider.complete(user_request(), endpoint())

    assert streamed.value.status == completed.value.status == status


async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = OpenAICompatibleProvider()
    await provider.start()
    try:
        endpoint = ProviderEndpoint(f"http://127.0.0.1:{port}/v1", SECRET_KEY, Timeouts())
        with pytest.raises(ProviderUnavailable):
            await provider.complete(user_request(), endpoint)
    finally:
        await provider.aclose()


async def test_first_byte_timeout_is_provider_timeout(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Reply(first_byte_delay=5), Hang(5))

    started = asyncio.get_running_loop().time()
    with pytest.raises(ProviderTimeout):
        await collect(provider.stream(user_request(), endpoint(first_token=0.3)))
    with pytest.raises(ProviderTimeout):
        await provider.complete(user_request(), endpoint(first_token=0.3))

    assert asyncio.get_running_loop().time() - started < 2.0


async def test_idle_gap_between_chunks_is_provider_timeout_after_the_first_deltas(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Reply(text="slow and steady", chunks=3, chunk_gap=2.0))
    seen: list[str] = []

    with pytest.raises(ProviderTimeout):
        async for event in provider.stream(user_request(), endpoint(idle=0.3)):
            if isinstance(event, TextDelta):
                seen.append(event.text)

    assert seen == ["slow "]


async def test_total_timeout_bounds_a_stream_that_never_ends(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Reply(text="a b c d e f g h i j", chunk_gap=0.2))

    started = asyncio.get_running_loop().time()
    with pytest.raises(ProviderTimeout):
        await collect(provider.stream(user_request(), endpoint(total=0.5, idle=5)))
    assert asyncio.get_running_loop().time() - started < 1.5


async def test_drop_after_k_chunks_yields_k_deltas_then_stream_broken(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Drop(after_chunks=2, reply=Reply(text="alpha beta gamma delta")))
    seen: list[str] = []

    with pytest.raises(ProviderStreamBroken):
        async for event in provider.stream(user_request(), endpoint()):
            assert isinstance(event, TextDelta)
            seen.append(event.text)

    assert seen == ["alpha ", "beta "]


async def test_drop_before_any_byte_of_a_completion_is_an_error(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Drop())

    with pytest.raises((ProviderUnavailable, ProviderStreamBroken)):
        await provider.complete(user_request(), endpoint())


async def test_consumer_closing_the_stream_closes_the_upstream_connection(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Reply(text="w " * 50, chunk_gap=0.05))
    events = provider.stream(user_request(), endpoint())

    first = await anext(events)
    await events.aclose()  # type: ignore[attr-defined]

    assert isinstance(first, TextDelta)
    record = await upstream.wait_client_disconnect(timeout=1.0)
    assert record.completed_at is None


async def test_cancelling_the_consuming_task_closes_the_upstream_connection(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Reply(text="w " * 50, chunk_gap=0.05))
    got_first = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream(user_request(), endpoint()):
            got_first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_first.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await upstream.wait_client_disconnect(timeout=1.0)


async def test_cancelling_while_waiting_for_headers_closes_the_connection(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    upstream.enqueue(Hang(5))
    task = asyncio.create_task(collect(provider.stream(user_request(), endpoint())))
    await upstream.wait_requests(1)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await upstream.wait_client_disconnect(timeout=1.0)


async def test_connection_is_reused_after_a_finished_stream(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    for _ in range(3):
        await collect(provider.stream(user_request(), endpoint()))

    assert not any(r.client_disconnected for r in upstream.requests)
    assert all(r.completed_at is not None for r in upstream.requests)


async def test_error_details_never_carry_secrets_urls_or_upstream_bodies(
    upstream: ScriptedUpstream, provider_and_endpoint: ProviderCase
) -> None:
    provider, endpoint = provider_and_endpoint
    leaky = {"error": {"message": f"Incorrect API key {SECRET_KEY}", "type": "invalid_api_key"}}
    upstream.enqueue(Fail(401, body=leaky), Fail(400, body=f"bad key {SECRET_KEY}"))

    errors: list[ProviderError] = []
    for _ in range(2):
        with pytest.raises(ProviderError) as caught:
            await provider.complete(user_request(), endpoint())
        errors.append(caught.value)

    assert "invalid_api_key" in errors[0].detail  # the safe code is kept
    for error in errors:
        for text in (error.detail, str(error), repr(error)):
            assert SECRET_KEY not in text
            assert "Incorrect API key" not in text
            assert "127.0.0.1" not in text
        assert error.__cause__ is None


async def test_url_credentials_never_appear_in_connect_errors() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = OpenAICompatibleProvider()
    await provider.start()
    try:
        endpoint = ProviderEndpoint(f"http://admin:hunter2@127.0.0.1:{port}/v1", None, Timeouts())
        with pytest.raises(ProviderUnavailable) as caught:
            await provider.complete(user_request(), endpoint)
    finally:
        await provider.aclose()
    assert "hunter2" not in caught.value.detail
    assert caught.value.__cause__ is None
