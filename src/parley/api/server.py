"""The HTTP server protocol of `parley serve`: uvicorn's httptools protocol, with the hot
paths served without uvicorn's ASGI request cycle.

uvicorn keeps the connection: parsing, keep-alive and its timeout, pipelining, flow
control, the concurrency limit, graceful shutdown. For a request whose exact method and path
is one of `ParleyApp.hot_routes`, `HotCycle` replaces uvicorn's `RequestResponseCycle` and
Parley's ASGI middleware in one object: it hands the same ASGI endpoint the whole body at
once, writes the head and a complete body in a single `write` (a stream's chunks: one
`write` per step of the event loop, not per chunk), and does what the middleware
does for every other request — the request id (echoed, bound to the logs), the body-size
limit (413), metrics and the access log line, and the 500 guard. Everything else (other
paths, upgrades, a request over the concurrency limit) is uvicorn's, untouched.
Measured in bench/ (bench/NOTES.md); pinned by tests/api/test_hot_server.py, which runs the
endpoint's tests over this protocol too.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import structlog
from starlette.responses import Response
from starlette.types import Message, Scope
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
)

from parley.api.app import ParleyApp
from parley.api.errors import unexpected_error_response
from parley.api.middleware import (
    REQUEST_ID_HEADER,
    BodyTooLarge,
    request_finished,
    request_id_for,
    too_large_response,
)
from parley.api.raw import HotRoute
from parley.log import get_logger

log = get_logger("parley.server")

_DISCONNECT: Message = {"type": "http.disconnect"}
_CLOSE = b"connection: close\r\n"
_CHUNKED = b"transfer-encoding: chunked\r\n"


def parley_app_of(app: Any) -> ParleyApp | None:
    """The `ParleyApp` inside uvicorn's wrappers (proxy headers, message logger), if any."""
    while app is not None and not isinstance(app, ParleyApp):
        app = getattr(app, "app", None)
    return app


class ParleyHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; the hot paths are served by `HotCycle`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.parley = parley_app_of(self.app)

    def on_headers_complete(self) -> None:
        route = self._hot_route()
        if route is None:
            super().on_headers_complete()
            return
        assert self.parley is not None
        http_version = self.parser.get_http_version()
        existing = self.cycle
        self.cycle = HotCycle(  # type: ignore[assignment]
            self,
            route,
            self.parley,
            keep_alive=http_version != "1.0" and self.parser.should_keep_alive(),
        )
        if existing is None or existing.response_complete:
            self._start_asgi_task(self.cycle, self.app)
        else:  # pipelined behind a response still being written: uvicorn's queue
            self.flow.pause_reading()
            self.pipeline.appendleft((self.cycle, self.app))

    def _hot_route(self) -> HotRoute | None:
        if self.parley is None or self.parser.should_upgrade():
            return None
        method = self.parser.get_method().decode("ascii")
        if method != "POST":
            return None
        raw_path, _, query = self.url.partition(b"?")
        path = raw_path.decode("latin-1")
        route = self.parley.hot_routes.get((method, path))
        if route is None:
            return None
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            return None  # uvicorn answers 503
        self.scope["method"] = method
        self.scope["path"] = path
        self.scope["raw_path"] = raw_path
        self.scope["query_string"] = query
        if (version := self.parser.get_http_version()) != "1.1":
            self.scope["http_version"] = version
        return route

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if isinstance(cycle, HotCycle):
            cycle.body_received(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        cycle = self.cycle
        if isinstance(cycle, HotCycle):
            cycle.body_complete()
        else:
            super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        cycle = self.cycle
        if isinstance(cycle, HotCycle):
            self.cycle = None
            cycle.connection_lost()
        super().connection_lost(exc)


class HotCycle:
    """One request to a hot path, from its head to the end of its response.

    The attributes uvicorn's protocol reads (`response_complete`, `keep_alive`,
    `run_asgi`) keep their meaning."""

    def __init__(
        self, protocol: ParleyHttpProtocol, route: HotRoute, app: ParleyApp, keep_alive: bool
    ) -> None:
        self.protocol = protocol
        self.route = route
        self.app = app
        self.scope: Scope = cast(Scope, protocol.scope)
        self.scope["app"] = app
        self.scope["route"] = route
        self.transport = protocol.transport
        self.flow = protocol.flow
        self.keep_alive = keep_alive
        self.on_response = protocol.on_response_complete
        self.max_body = app.max_body_bytes
        self.expect_100_continue = protocol.expect_100_continue
        self.parts: list[bytes] = []
        self.size = 0
        self.complete = False
        self.too_large = False
        self.delivered = False
        self.disconnected = False
        self.response_started = False
        self.response_complete = False
        self.chunked = False
        self.status = 500
        self.head: list[bytes] | None = None
        self.pending: list[bytes] = []
        self.flush_armed = False
        self.waiter: asyncio.Future[None] | None = None
        self.request_id = b""
        for name, value in self.scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                self.too_large = True

    # Called by the protocol as the request arrives.

    def body_received(self, body: bytes) -> None:
        if self.response_complete or self.too_large:
            return
        self.size += len(body)
        if self.size > self.max_body:
            self.too_large = True
            self.parts = []
            self._wake()
            return
        self.parts.append(body)

    def body_complete(self) -> None:
        self.complete = True
        self._wake()

    def connection_lost(self) -> None:
        if not self.response_complete:
            self.disconnected = True
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def _wait(self) -> None:
        self.waiter = asyncio.get_running_loop().create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    # The ASGI side, for the endpoint.

    async def receive(self) -> Message:
        if not self.delivered:
            if self.expect_100_continue and not self.too_large:
                self.expect_100_continue = False
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            while not (self.complete or self.too_large or self.disconnected):
                self.flow.resume_reading()
                await self._wait()
            if self.too_large:
                raise BodyTooLarge()
            if not self.disconnected:
                self.delivered = True
                body = self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)
                self.parts = []
                return {"type": "http.request", "body": body, "more_body": False}
        while not (self.disconnected or self.response_complete):
            await self._wait()
        return _DISCONNECT

    async def send(self, message: Message) -> None:
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        kind = message["type"]
        if not self.response_started:
            if kind != "http.response.start":
                raise RuntimeError(f"Expected 'http.response.start', got {kind!r}")
            self.response_started = True
            self.status = message["status"]
            self.head = self._head(message)
            return
        if kind != "http.response.body" or self.response_complete:
            raise RuntimeError(f"Unexpected ASGI message {kind!r}")
        more: bool = message.get("more_body", False)
        out = self._framed(message.get("body", b""), more)
        if more:  # written once the loop is done with this step (several chunks, one write)
            self.pending += out
            if not self.flush_armed:
                self.flush_armed = True
                self.protocol.loop.call_soon(self._flush)
            return
        if self.pending:
            out = [*self.pending, *out]
            self.pending = []
        self.transport.write(b"".join(out))
        self._finish()

    def _framed(self, body: bytes, more: bool) -> list[bytes]:
        """`body` as it goes on the wire: after the head if it is still unsent, in a chunk
        when the length was not announced."""
        out: list[bytes] = []
        if self.head is not None:
            self.head.append(b"\r\n")
            out = self.head
            self.head = None
        if not self.chunked:
            out.append(body)
            return out
        if body:
            out += (b"%x\r\n" % len(body), body, b"\r\n")
        if not more:
            out.append(b"0\r\n\r\n")
        return out

    def _flush(self) -> None:
        """Write the stream's chunks sent since the last flush: everything one upstream read
        produced goes out in one `write`, right after the step that produced it."""
        self.flush_armed = False
        if self.pending and not self.disconnected:
            self.transport.write(b"".join(self.pending))
        self.pending = []

    def _head(self, message: Message) -> list[bytes]:
        status: int = message["status"]
        head = [STATUS_LINE[status]]
        length = False
        headers = (
            *self.protocol.server_state.default_headers,
            *message.get("headers", ()),
            (REQUEST_ID_HEADER, self.request_id),
        )
        # uvicorn's checks, on all the names at once and all the values at once: a character
        # that is not allowed is found in the joined bytes as in its own header.
        if HEADER_RE.search(b"".join([name for name, _ in headers])) or HEADER_VALUE_RE.search(
            b"".join([value for _, value in headers])
        ):
            raise RuntimeError("Invalid HTTP header")
        for name, value in headers:
            if name == b"content-length":
                length = True
            elif name in {b"transfer-encoding", b"connection"}:
                raise RuntimeError(f"The hot path does not send {name!r}")
            head += (name, b": ", value, b"\r\n")
        self.chunked = not length
        if self.chunked:
            head.append(_CHUNKED)
        if not self.keep_alive:
            head.append(_CLOSE)
        return head

    def _finish(self) -> None:
        self.response_complete = True
        self._wake()
        if not self.keep_alive:
            self.transport.close()
        self.on_response()

    async def _respond(self, response: Response) -> None:
        await response(self.scope, self.receive, self.send)

    # The request, start to end (the name is uvicorn's: it starts pipelined requests so).

    async def run_asgi(self, _app: object) -> None:
        started = time.perf_counter()
        incoming = None
        for name, value in self.scope["headers"]:
            if name == REQUEST_ID_HEADER:
                incoming = value
                break
        self.request_id = request_id_for(incoming)
        request_id = self.request_id.decode()
        self.scope["state"]["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)  # this task's context
        path = self.route.path
        try:
            if self.too_large:
                raise BodyTooLarge()
            await self.route.endpoint(self.scope, self.receive, self.send)
        except BodyTooLarge:
            if not self.response_started:
                self.keep_alive = False  # the rest of the body is not read
                await self._respond(too_large_response(self.max_body, path))
        except Exception as error:
            if not self.response_started:
                await self._respond(unexpected_error_response(error, path))
            else:
                log.error("response_aborted", path=path, exc_info=error)
                self._flush()
                self.transport.close()
        finally:
            self.on_response = _nothing
            if not self.response_complete and not self.disconnected:
                if not self.response_started:
                    log.error("no_response", path=path)
                self._flush()
                self.transport.close()
            request_finished(self.app, "POST", path, path, self.status, started)


def _nothing() -> None:
    pass
