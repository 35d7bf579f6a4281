"""`POST /v1/chat/completions` is a bare ASGI endpoint: it must answer exactly as the FastAPI
route it replaced — the body decoded as FastAPI decodes it, the same order of checks (JSON,
then credentials, then validation), the same error shapes — and keep the headers every
response carries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from parley.api.openai_format import ChunkWriter
from parley.api.routers.openai import _stream
from parley.api.sse import sse_data
from parley.container import Container
from parley.domain.chat import StreamEvent, TextDelta
from tests.support.transports import app_and_client  # noqa: F401 (both transports)
from tests.support.users import SignedIn, sign_up

PATH = "/v1/chat/completions"
GOOD = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def key(client: httpx.AsyncClient) -> str:
    admin: SignedIn = await sign_up(client, "root")
    response = await client.post("/v1/api-keys", headers=admin.headers, json={"name": "raw"})
    value: str = response.json()["key"]
    return value


async def test_success_carries_request_id_model_and_rate_limit_headers(
    client: httpx.AsyncClient, key: str
) -> None:
    response = await client.post(
        PATH, json=GOOD, headers={"Authorization": f"Bearer {key}", "X-Request-ID": "abc-1"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-1"
    assert response.headers["x-parley-model"] == "echo"
    assert int(response.headers["x-ratelimit-limit"]) >= 1
    assert "x-ratelimit-remaining" in response.headers
    assert response.json()["object"] == "chat.completion"


async def test_an_unexpected_error_is_a_500_with_the_request_id_and_no_internals(
    client: httpx.AsyncClient, container: Container, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(type(container.services.chat.complete), "__call__", broken)
    response = await client.post(
        PATH, json=GOOD, headers={"Authorization": f"Bearer {key}", "X-Request-ID": "boom-1"}
    )
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "boom-1"
    assert response.json()["error"]["code"] == "internal-error"  # the OpenAI error shape
    assert "secret" not in response.text
    assert "Traceback" not in response.text


async def test_x_api_key_header_is_accepted(client: httpx.AsyncClient, key: str) -> None:
    response = await client.post(PATH, json=GOOD, headers={"X-API-Key": key})
    assert response.status_code == 200


async def test_json_is_decoded_before_credentials_are_checked(
    client: httpx.AsyncClient,
) -> None:
    broken = await client.post(
        PATH, content=b'{"model": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert "body.10: JSON decode error" in broken.json()["error"]["message"]
    unauthenticated = await client.post(PATH, json={"model": "echo", "messages": []})
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"] == "Bearer"
    assert unauthenticated.json()["error"]["type"] == "authentication_error"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "application/json", "body: Field required"),
        (b"null", "application/json", "body: Field required"),
        (json.dumps(GOOD).encode(), "text/plain", "body: Input should be a valid dictionary"),
        (b"[1, 2]", "application/json", "body: Input should be a valid dictionary"),
        (b'{"model": "echo", "messages": []}', "application/json", "body.messages: List"),
        (b'{"model": "echo", "messages": [{"role": "x"}]}', "application/vnd.api+json", "role"),
    ],
)
async def test_validation_errors_match_fastapis(
    client: httpx.AsyncClient, key: str, body: bytes, content_type: str, message: str
) -> None:
    response = await client.post(
        PATH, content=body, headers={"Authorization": f"Bearer {key}", "Content-Type": content_type}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation-failed" and message in error["message"]


async def test_undecodable_body_is_a_400(client: httpx.AsyncClient, key: str) -> None:
    response = await client.post(
        PATH,
        content=b'{"model": "\xff"}',
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "There was an error parsing the body"


async def test_oversized_body_is_refused_by_the_middleware(
    client: httpx.AsyncClient, key: str
) -> None:
    response = await client.post(
        PATH,
        content=b'{"pad": "' + b"x" * 3_000_000 + b'"}',
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_other_methods_get_405_and_the_route_is_documented(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get(PATH)).status_code == 405
    assert "post" in (await client.get("/openapi.json")).json()["paths"][PATH]


async def test_requests_are_counted_under_the_route_template(
    client: httpx.AsyncClient, key: str
) -> None:
    await client.post(PATH, json=GOOD, headers={"Authorization": f"Bearer {key}"})
    metrics = (await client.get("/metrics")).text
    assert 'route="/v1/chat/completions",status="200"' in metrics


@pytest.mark.parametrize("text", ["hi", 'quote " and \\ and \n', "ü€😀", "", "lone \ud800"])
def test_text_events_are_the_generic_chunk_byte_for_byte(text: str) -> None:
    writer = ChunkWriter('a "model" ü')
    assert writer.text_event(text) == sse_data(writer.chunk({"content": text}))


class _EndlessStream:
    """A MeteredStream stand-in whose upstream never ends."""

    def __init__(self) -> None:
        self.model = SimpleNamespace(name="m")
        self.headers: dict[str, str] = {}
        self.closed = False

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        while True:
            yield TextDelta("x")
            await asyncio.sleep(0.01)

    async def aclose(self) -> None:
        self.closed = True


async def test_a_client_that_leaves_stops_the_stream_and_closes_the_upstream() -> None:
    stream = _EndlessStream()
    sent: list[dict[str, Any]] = []
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) == 3:
            gone.set()

    await asyncio.wait_for(_stream(stream, False, receive, send), 5)  # type: ignore[arg-type]
    assert stream.closed
    assert sent[0]["type"] == "http.response.start"
    assert all(m.get("more_body", True) for m in sent[1:])  # never a clean end
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_client_that_leaves_while_a_chunk_is_being_sent_closes_the_upstream_at_once() -> (
    None
):
    stream = _EndlessStream()
    sent: list[dict[str, Any]] = []
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) == 3:
            gone.set()
            await asyncio.Event().wait()  # the client stopped reading: this send never ends

    async with asyncio.timeout(5):
        await _stream(stream, False, receive, send)  # type: ignore[arg-type]
        assert stream.closed  # by the time it returns, not later by a finaliser
