"""The upstream HTTP client (adapters/llm/wire.py) against a server that answers canned bytes:
body framings, compression, interim responses, keep-alive reuse, broken and hostile
answers — and the provider adapters on uvloop, the event loop `parley serve` runs."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator

import pytest
import uvloop

from parley.adapters.llm.http import PooledHttpClient
from parley.adapters.llm.openai_compatible import OpenAICompatibleProvider
from parley.application.ports.chat_provider import ProviderEndpoint
from parley.domain.chat import FinishEvent, TextDelta
from parley.domain.errors import ProviderStreamBroken, ProviderUnavailable
from parley.domain.models import Timeouts
from tests.adapters.llm.conftest import collect, user_request
from tests.support.scripted_steps import Reply
from tests.support.scripted_upstream import ScriptedUpstream

ANSWER = {"id": "x", "ok": True, "text": "héllo"}
RAW = json.dumps(ANSWER).encode()


class CannedServer:
    """Answers each request on a connection with the next canned response; counts the
    connections and keeps the request heads."""

    def __init__(self, *answers: bytes, close_after: bool = False) -> None:
        self.answers = list(answers)
        self.close_after = close_after
        self.connections = 0
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []

    async def __aenter__(self) -> CannedServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1/x"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head)
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.bodies.append(await reader.readexactly(length))
                writer.write(self.answers.pop(0))
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers, "", ""]
    return "\r\n".join(lines).encode() + body


def chunked(body: bytes, size: int = 7) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@pytest.fixture
async def client() -> AsyncIterator[PooledHttpClient]:
    http = PooledHttpClient()
    await http.start()
    yield http
    await http.aclose()


async def post_json(client: PooledHttpClient, url: str, **headers: str) -> object:
    async with client.post(url, body={"q": 1}, headers=headers, timeouts=Timeouts()) as call:
        return await call.read_json()


@pytest.mark.parametrize(
    "answer",
    [
        response(RAW, f"Content-Length: {len(RAW)}"),
        response(chunked(RAW), "Transfer-Encoding: chunked"),
        response(
            gzip.compress(RAW),
            "Content-Encoding: gzip",
            f"Content-Length: {len(gzip.compress(RAW))}",
        ),
        response(b"", status="100 Continue") + response(RAW, f"Content-Length: {len(RAW)}"),
    ],
    ids=["content-length", "chunked", "gzip", "interim-100"],
)
async def test_body_framings_and_codings_give_the_same_json(
    client: PooledHttpClient, answer: bytes
) -> None:
    async with CannedServer(answer) as server:
        assert await post_json(client, server.url) == ANSWER
    head = server.heads[0].decode()
    assert head.startswith("POST /v1/x HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.url.split(':')[2].split('/')[0]}" in head
    assert "Content-Type: application/json" in head
    assert json.loads(server.bodies[0]) == {"q": 1}


async def test_a_body_delimited_by_the_end_of_the_connection_is_read_whole(
    client: PooledHttpClient,
) -> None:
    async with CannedServer(response(RAW, "Connection: close"), close_after=True) as server:
        assert await post_json(client, server.url) == ANSWER


async def test_keep_alive_connections_are_reused_and_closed_ones_are_not(
    client: PooledHttpClient,
) -> None:
    ok = response(RAW, f"Content-Length: {len(RAW)}")
    async with CannedServer(ok, ok, ok) as server:
        for _ in range(3):
            assert await post_json(client, server.url) == ANSWER
    assert server.connections == 1

    closing = response(RAW, f"Content-Length: {len(RAW)}", "Connection: close")
    async with CannedServer(closing, closing, close_after=True) as server:
        server.answers = [closing]
        assert await post_json(client, server.url) == ANSWER
        server.answers = [closing]
        assert await post_json(client, server.url) == ANSWER
    assert server.connections == 2


async def test_a_connection_that_answered_an_error_goes_back_to_the_pool(
    client: PooledHttpClient,
) -> None:
    """An error answer (read whole for its message) leaves its connection reusable: not
    leaked half-open, nor closed for nothing."""
    error = b'{"error": {"message": "overloaded"}}'
    failed = response(error, f"Content-Length: {len(error)}", status="503 Service Unavailable")
    ok = response(RAW, f"Content-Length: {len(RAW)}")
    async with CannedServer(failed, ok) as server:
        with pytest.raises(ProviderUnavailable):
            await post_json(client, server.url)
        assert await post_json(client, server.url) == ANSWER
    assert server.connections == 1


async def test_a_connection_that_answered_twice_is_not_reused(client: PooledHttpClient) -> None:
    ok = response(RAW, f"Content-Length: {len(RAW)}")
    stray = response(b'{"stray": true}', "Content-Length: 15")
    async with CannedServer(ok + stray, ok) as server:
        assert await post_json(client, server.url) == ANSWER
        assert await post_json(client, server.url) == ANSWER  # not the stray answer
    assert server.connections == 2


async def test_a_truncated_body_is_a_broken_stream(client: PooledHttpClient) -> None:
    async with CannedServer(response(RAW[:5], "Content-Length: 500"), close_after=True) as server:
        with pytest.raises(ProviderStreamBroken):
            await post_json(client, server.url)


async def test_a_non_http_answer_is_unavailable(client: PooledHttpClient) -> None:
    async with CannedServer(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", close_after=True) as server:
        with pytest.raises(ProviderUnavailable):
            await post_json(client, server.url)


async def test_an_endless_response_head_is_refused(client: PooledHttpClient) -> None:
    headers = [f"X-Filler-{i}: {'y' * 1000}" for i in range(100)]  # ~100 KB of head
    async with CannedServer(response(RAW, *headers, f"Content-Length: {len(RAW)}")) as server:
        with pytest.raises(ProviderUnavailable):
            await post_json(client, server.url)


async def test_header_injection_is_refused_before_anything_is_sent(
    client: PooledHttpClient,
) -> None:
    async with CannedServer(response(RAW, f"Content-Length: {len(RAW)}")) as server:
        with pytest.raises(ProviderUnavailable, match="not valid HTTP headers"):
            await post_json(client, server.url, Authorization="Bearer x\r\nX-Evil: 1")
    assert server.heads == []


async def test_a_large_body_read_slowly_arrives_intact(client: PooledHttpClient) -> None:
    big = json.dumps({"text": "x" * 3_000_000}).encode()  # past the back-pressure mark
    async with CannedServer(response(big, f"Content-Length: {len(big)}")) as server:
        parts = []
        async with client.post(server.url, body={}, headers={}, timeouts=Timeouts()) as call:
            while chunk := await call.read_chunk():
                parts.append(chunk)
                await asyncio.sleep(0)
    assert b"".join(parts) == big


async def test_an_oversized_answer_is_refused_not_buffered(
    client: PooledHttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("parley.adapters.llm.http.MAX_ANSWER_BYTES", 1000)
    big = json.dumps({"text": "x" * 5000}).encode()
    async with CannedServer(response(big, f"Content-Length: {len(big)}")) as server:
        with pytest.raises(ProviderStreamBroken, match="too large"):
            await post_json(client, server.url)


def test_the_provider_works_on_uvloop() -> None:
    async def scenario() -> None:
        async with ScriptedUpstream() as upstream:
            upstream.set_default(Reply(text="one two three"))
            provider = OpenAICompatibleProvider()
            await provider.start()
            try:
                endpoint = ProviderEndpoint(upstream.openai_base_url, "sk-x", Timeouts())
                completion = await provider.complete(user_request(), endpoint)
                events = await collect(provider.stream(user_request(), endpoint))
            finally:
                await provider.aclose()
        assert completion.text == "one two three"
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "one two three"
        assert events[-1] == FinishEvent("stop")

    uvloop.run(scenario())
