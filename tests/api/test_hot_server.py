"""`parley serve`'s HTTP protocol (api/server.py) serves the hot path without uvicorn's ASGI
cycle: what the cycle and Parley's middleware did must still hold on the wire — keep-alive,
pipelining, `Expect: 100-continue`, chunked request bodies, the body-size limit, HTTP/1.0,
the request id, and aborting a response that fails half-way. The endpoint's own behaviour
runs over this protocol in test_openai_raw_endpoint.py and test_openai_compatible.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from parley.adapters.security.passwords import Argon2PasswordHasher
from parley.api.app import create_app
from parley.api.raw import HotRoute
from parley.api.server import HotCycle
from parley.container import Container, build_container
from parley.domain.chat import TextDelta
from parley.settings import Settings
from tests.conftest import make_settings
from tests.support.server import served_over_http
from tests.support.users import sign_up

PATH = "/v1/chat/completions"
BODY = json.dumps({"model": "echo", "messages": [{"role": "user", "content": "hi"}]}).encode()
MAX_BODY = 4096


@dataclass
class Served:
    client: httpx.AsyncClient
    container: Container
    port: int
    key: str

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    def request(self, body: bytes = BODY, *extra: str, version: str = "1.1") -> bytes:
        head = [
            f"POST {PATH} HTTP/{version}",
            "Host: parley.test",
            f"Authorization: Bearer {self.key}",
            "Content-Type: application/json",
            *extra,
        ]
        if not any(line.lower().startswith("transfer-encoding") for line in extra):
            head.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@pytest.fixture
def settings(tmp_path: Any, sqlite_url: str) -> Settings:
    return make_settings(tmp_path, sqlite_url, max_request_body_bytes=MAX_BODY)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[Served]:
    container = build_container(
        settings, hasher=Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)
    )
    await container.startup()

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[Any]:
        yield container.services

    try:
        async with (
            served_over_http(create_app(lifespan, settings)) as transport,
            httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client,
        ):
            admin = await sign_up(client, "root")
            made = await client.post("/v1/api-keys", headers=admin.headers, json={"name": "k"})
            yield Served(client, container, transport.port, made.json()["key"])
    finally:
        await container.aclose()


@pytest.fixture
def hot_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths `HotCycle` served (so a test knows the hot path, not uvicorn's, answered)."""
    served: list[str] = []
    original = HotCycle.run_asgi

    async def counting(self: HotCycle, app: object) -> None:
        served.append(self.route.path)
        await original(self, app)

    monkeypatch.setattr(HotCycle, "run_asgi", counting)
    return served


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (content-length or chunked body)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        return status, headers, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, headers, body
        body += chunk[:-2]


async def test_the_hot_path_is_served_by_the_hot_cycle_and_keeps_the_connection(
    served: Served, hot_requests: list[str]
) -> None:
    reader, writer = await served.connect()
    for request_id in ("first-1", "second-2"):
        writer.write(served.request(BODY, f"X-Request-ID: {request_id}"))
        status, headers, body = await read_response(reader)
        assert status == 200
        assert headers["x-request-id"] == request_id
        assert headers["x-parley-model"] == "echo"
        assert "connection" not in headers  # kept alive
        assert json.loads(body)["object"] == "chat.completion"
    writer.close()
    assert hot_requests == [PATH, PATH]


async def test_pipelined_requests_are_answered_in_order(
    served: Served, hot_requests: list[str]
) -> None:
    reader, writer = await served.connect()
    health = b"GET /healthz HTTP/1.1\r\nHost: parley.test\r\n\r\n"
    writer.write(
        served.request(BODY, "X-Request-ID: p-1")
        + health
        + served.request(BODY, "X-Request-ID: p-2")
    )
    first = await read_response(reader)
    second = await read_response(reader)
    third = await read_response(reader)
    assert (first[0], first[1]["x-request-id"]) == (200, "p-1")
    assert second[0] == 200 and json.loads(second[2])["status"] == "ok"
    assert (third[0], third[1]["x-request-id"]) == (200, "p-2")
    writer.close()
    assert hot_requests == [PATH, PATH]


async def test_expect_100_continue_and_a_chunked_request_body(served: Served) -> None:
    reader, writer = await served.connect()
    head = served.request(b"", "Expect: 100-continue", "Transfer-Encoding: chunked")
    writer.write(head)
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    half = len(BODY) // 2
    for part in (BODY[:half], BODY[half:]):
        writer.write(b"%x\r\n%s\r\n" % (len(part), part))
        await asyncio.sleep(0.01)  # the body arrives in pieces
    writer.write(b"0\r\n\r\n")
    status, _, body = await read_response(reader)
    assert status == 200, body
    writer.close()


async def test_a_body_announced_too_large_is_refused_at_once_and_the_connection_closed(
    served: Served, hot_requests: list[str]
) -> None:
    reader, writer = await served.connect()
    head = served.request(b"", "Expect: 100-continue").replace(
        b"Content-Length: 0", f"Content-Length: {MAX_BODY + 1}".encode()
    )
    writer.write(head)  # no body sent: the answer must not wait for it
    status, headers, body = await read_response(reader)
    assert status == 413
    assert headers["connection"] == "close"
    assert headers["content-type"] == "application/problem+json"  # as the middleware's 413
    assert json.loads(body)["type"].endswith("payload-too-large")
    assert headers["x-request-id"]
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed
    assert hot_requests == [PATH]


async def test_a_chunked_body_that_grows_too_large_is_refused(served: Served) -> None:
    reader, writer = await served.connect()
    writer.write(served.request(b"", "Transfer-Encoding: chunked"))
    piece = b"x" * 1000
    for _ in range(5):
        writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    status, headers, _ = await read_response(reader)
    assert status == 413
    assert headers["connection"] == "close"
    writer.close()


async def test_http_1_0_gets_its_answer_and_the_connection_closed(served: Served) -> None:
    reader, writer = await served.connect()
    writer.write(served.request(BODY, version="1.0"))
    status, headers, body = await read_response(reader)
    assert status == 200 and json.loads(body)["object"] == "chat.completion"
    assert headers["connection"] == "close"
    assert await asyncio.wait_for(reader.read(), 5) == b""


async def test_a_query_string_does_not_change_the_route(
    served: Served, hot_requests: list[str]
) -> None:
    response = await served.client.post(
        PATH + "?trace=1",
        content=BODY,
        headers={"Authorization": f"Bearer {served.key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert hot_requests == [PATH]


async def test_other_methods_and_paths_are_uvicorns_and_the_apps(
    served: Served, hot_requests: list[str]
) -> None:
    assert (await served.client.get(PATH)).status_code == 405
    assert (await served.client.post("/v1/chat/completions/")).status_code in (307, 404, 405)
    assert (await served.client.get("/healthz")).status_code == 200
    assert hot_requests == []


async def test_a_stream_is_sent_chunked_with_the_request_id(served: Served) -> None:
    body = json.loads(BODY)
    body["stream"] = True
    async with served.client.stream(
        "POST",
        PATH,
        json=body,
        headers={"Authorization": f"Bearer {served.key}", "X-Request-ID": "s-1"},
    ) as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["x-request-id"] == "s-1"
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join([part async for part in response.aiter_text()])
    assert text.rstrip().endswith("data: [DONE]")


async def test_a_failure_after_the_response_started_aborts_the_connection(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A half-sent answer must not look complete: the connection is dropped, not ended."""
    use_case = type(served.container.services.chat.stream_completion)
    original = use_case.__call__

    class Failing:
        """The real stream's model and headers; its second event fails unexpectedly."""

        def __init__(self, inner: Any) -> None:
            self.inner, self.model, self.headers = inner, inner.model, inner.headers

        def __aiter__(self) -> AsyncIterator[Any]:
            return self._events()

        async def _events(self) -> AsyncIterator[Any]:
            yield TextDelta("partial")
            raise RuntimeError("secret internals")

        async def aclose(self) -> None:
            await self.inner.aclose()

    async def failing(*args: Any, **kwargs: Any) -> Any:
        return Failing(await original(*args, **kwargs))

    monkeypatch.setattr(use_case, "__call__", failing)
    body = json.loads(BODY)
    body["stream"] = True
    with pytest.raises(httpx.RemoteProtocolError):  # not a hang, nor a clean end
        async with (
            asyncio.timeout(5),
            served.client.stream(
                "POST", PATH, json=body, headers={"Authorization": f"Bearer {served.key}"}
            ) as response,
        ):
            assert response.status_code == 200
            async for _ in response.aiter_bytes():
                pass


async def test_chunks_sent_in_one_step_of_the_loop_go_out_in_one_write() -> None:
    """A stream's chunks are written once per event-loop step, not one `write` per chunk (an
    upstream read with many events costs one system call), and nothing waits longer."""
    writes: list[bytes] = []
    cycle = _bare_cycle(writes)
    await cycle.send({"type": "http.response.start", "status": 200, "headers": []})
    for text in (b"a", b"bb", b"ccc"):
        await cycle.send({"type": "http.response.body", "body": text, "more_body": True})
    assert writes == []  # not yet: the step is not over
    await asyncio.sleep(0)
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"transfer-encoding: chunked\r\n" in writes[0]
    assert writes[0].endswith(b"\r\n\r\n1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n")
    await cycle.send({"type": "http.response.body", "body": b"d", "more_body": True})
    await cycle.send({"type": "http.response.body", "body": b"", "more_body": False})
    assert writes[1:] == [b"1\r\nd\r\n0\r\n\r\n"]  # the end is written at once, with the rest
    assert cycle.response_complete
    await asyncio.sleep(0)
    assert len(writes) == 2


@pytest.mark.parametrize(
    "header",
    [
        (b"x-note\r\nset-cookie", b"a"),
        (b"x-note", b"a\r\nset-cookie: session=stolen"),
        (b"x note", b"a"),
        (b"x-note", b"a\x00"),
    ],
)
async def test_a_header_that_could_split_the_response_is_refused(
    header: tuple[bytes, bytes],
) -> None:
    """What uvicorn refuses, the hot path refuses: a name or value with a character HTTP does
    not allow there raises before anything is written (the request then ends as a 500)."""
    writes: list[bytes] = []
    cycle = _bare_cycle(writes, default_headers=[(b"server", b"parley")])
    good = (b"x-fine", b"a value\twith a tab")
    with pytest.raises(RuntimeError, match="Invalid HTTP header"):
        await cycle.send({"type": "http.response.start", "status": 200, "headers": [good, header]})
    assert writes == []
    fine = _bare_cycle(writes, default_headers=[(b"server", b"parley")])
    await fine.send({"type": "http.response.start", "status": 200, "headers": [good]})
    await fine.send({"type": "http.response.body", "body": b"ok"})
    assert b"\r\nx-fine: a value\twith a tab\r\n" in writes[0]


def _bare_cycle(
    writes: list[bytes], default_headers: list[tuple[bytes, bytes]] | None = None
) -> HotCycle:
    """A `HotCycle` on a fake connection whose writes land in `writes`."""
    transport = SimpleNamespace(write=writes.append, close=lambda: None)
    protocol = SimpleNamespace(
        scope={"headers": [], "state": {}},
        transport=transport,
        flow=SimpleNamespace(write_paused=False),
        on_response_complete=lambda: None,
        expect_100_continue=False,
        loop=asyncio.get_running_loop(),
        server_state=SimpleNamespace(default_headers=default_headers or []),
    )
    app = SimpleNamespace(max_body_bytes=MAX_BODY)
    return HotCycle(cast(Any, protocol), HotRoute(PATH, cast(Any, None)), cast(Any, app), True)
