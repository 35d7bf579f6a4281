"""A small HTTP/1.1 client for upstream model calls: keep-alive connections on
`asyncio.Protocol`, responses parsed by `httptools` (llhttp, the parser uvicorn uses).

Why not aiohttp (which Parley still uses elsewhere): on the hot path its per-request
machinery (request/response objects, the connector's bookkeeping, a `StreamReader` per
response, multidicts, tracing hooks) cost about as much CPU as the rest of a gateway request
(bench/NOTES.md). An upstream call needs much less: one POST with a JSON body, a status and
headers, and the body read as it arrives. That is all this does:

- one pool of idle connections per origin (scheme, host, port), most recently used first,
  closed after `keepalive` seconds idle, or when the server closes them;
- TLS through the standard library's default context (system CAs, hostname checks);
- `Content-Length`, chunked and read-until-close bodies; gzip/deflate if a server compresses
  although asked not to (`Accept-Encoding: identity`);
- back-pressure: reading from the socket pauses while too much body is buffered;
- a response whose body was not read to its end closes its connection (the upstream stops
  generating); one read to the end goes back to the pool if the server allows keep-alive;
- header names and values with CR, LF or NUL are refused (no header injection).

It raises only `UpstreamError` subclasses and `TimeoutError` (from the caller's deadlines),
and its messages never carry the URL.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import time
import zlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

import httptools

#: Buffered, unread body bytes above which the socket stops being read.
_HIGH_WATER = 256 * 1024
_MAX_IDLE_PER_ORIGIN = 1024
#: The response head may not grow past this (aiohttp's limit is 8 KiB per line).
_MAX_HEAD_BYTES = 64 * 1024
_DNS_TTL = 300.0
_FORBIDDEN = frozenset("\r\n\0")

T = TypeVar("T")


class UpstreamError(Exception):
    """The upstream exchange failed; the message is safe to show (no URL, no secret)."""


class ConnectFailed(UpstreamError):
    """No connection could be opened."""


class ConnectionBroken(UpstreamError):
    """The connection closed, or the server sent something that is not HTTP."""


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed request URL: where to connect, what to send as `Host` and request target,
    and the basic-auth value its `user:password@` part stands for (never sent in the URL)."""

    scheme: str
    host: str
    port: int
    host_header: str
    request_target: str
    basic_auth: str | None

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


@lru_cache(maxsize=256)
def parse_url(url: str) -> Target:
    """Parse an `http(s)://` URL once (model URLs are few and reused). Raises `ValueError`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("only absolute http(s) URLs can be called")
    default_port = 443 if scheme == "https" else 80
    port = parts.port or default_port
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == default_port else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    basic_auth = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        basic_auth = "Basic " + base64.b64encode(pair).decode("ascii")
    return Target(scheme, host, port, host_header, target, basic_auth)


def _check_header(name: str, value: str) -> None:
    if _FORBIDDEN.intersection(name) or _FORBIDDEN.intersection(value) or not name:
        raise ValueError("a request header contains a line break or NUL")


class Response:
    """One response: `status`, `headers` (lower-case names, repeated ones joined with ", ")
    and its body through `read_some()`."""

    __slots__ = (
        "_buffered",
        "_chunks",
        "_conn",
        "_decoder",
        "_error",
        "_waiter",
        "headers",
        "status",
    )

    def __init__(self, conn: _Connection, status: int, headers: dict[str, str]) -> None:
        self._conn = conn
        self.status = status
        self.headers = headers
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._error: UpstreamError | None = None
        encoding = headers.get("content-encoding", "identity").strip().lower()
        self._decoder = (
            zlib.decompressobj(47)  # gzip or zlib, detected from the header
            if encoding in ("gzip", "x-gzip", "deflate")
            else None
        )

    def ready(self) -> bool:
        """`read_some()` would return at once (body bytes buffered, the end, or an error;
        never said of a compressed body, whose bytes may decompress to nothing yet)."""
        if self._decoder is not None:
            return False
        return bool(self._chunks) or self._conn.message_complete or self._error is not None

    def at_eof(self) -> bool:
        """The whole body arrived and was read."""
        return self._conn.message_complete and not self._chunks

    async def read_some(self, deadline: float | None = None) -> bytes:
        """The body bytes that arrived since the last call (waiting for some), b"" at the
        end. Raises `ConnectionBroken` if the connection broke before the end, and
        `TimeoutError` if nothing came by `deadline` (the event loop's clock)."""
        while not self._chunks:
            if self._conn.message_complete:
                return self._flush_decoder()
            if self._error is not None:
                raise self._error
            waiter = self._waiter = self._conn.loop.create_future()
            try:
                await _within(waiter, deadline)
            finally:
                self._waiter = None
        data = self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)
        self._chunks.clear()
        if self._buffered > _HIGH_WATER:
            self._conn.resume_reading()
        self._buffered = 0
        if self._decoder is not None:
            try:
                data = self._decoder.decompress(data)
            except zlib.error:
                raise ConnectionBroken(
                    "the upstream sent a body that does not decompress"
                ) from None
            if not data:
                return await self.read_some(deadline)
        return data

    def _flush_decoder(self) -> bytes:
        if self._decoder is None:
            return b""
        decoder, self._decoder = self._decoder, None
        return decoder.flush()

    # --- fed by the connection -------------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > _HIGH_WATER:
            self._conn.pause_reading()
        self._wake()

    def _fail(self, error: UpstreamError) -> None:
        self._error = error
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one exchange at a time."""

    def __init__(self, pool: _OriginPool) -> None:
        self._pool = pool
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._header_names: list[bytes] = []
        self._header_values: list[bytes] = []
        self._head_bytes = 0
        self._head: asyncio.Future[Response] | None = None
        self.response: Response | None = None
        self.message_complete = False
        self.reusable = False
        self.closed = False
        self.in_use = False
        self.idle_since = 0.0
        self._reading_paused = False
        self._until_close = False

    # --- the exchange ----------------------------------------------------------------------

    def send(self, head: bytes, body: bytes) -> asyncio.Future[Response]:
        assert self.transport is not None
        self.in_use = True
        self.response = None
        self.message_complete = False
        self.reusable = False
        self._until_close = False
        self._head = self.loop.create_future()
        self.transport.write(head + body)
        return self._head

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def pause_reading(self) -> None:
        if not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._reading_paused and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if not self.in_use:  # bytes on an idle connection: not a state to reuse it in
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._broken(ConnectionBroken("the upstream sent an invalid HTTP response"))

    def eof_received(self) -> bool | None:
        return None  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._pool.forget(self)
        response = self.response
        if response is not None and not self.message_complete:
            if self._until_close:
                self.message_complete = True  # a body delimited by the end of the connection
                response._wake()
            else:
                response._fail(ConnectionBroken("the upstream closed the connection mid-answer"))
        elif self._head is not None and not self._head.done():
            self._head.set_exception(ConnectionBroken("the upstream closed the connection"))

    # --- httptools callbacks ---------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value)
        if self._head_bytes > _MAX_HEAD_BYTES:
            raise ConnectionBroken("the upstream sent too large a response head")
        self._header_names.append(name)
        self._header_values.append(value)

    def on_headers_complete(self) -> None:
        headers: dict[str, str] = {}
        for raw_name, raw_value in zip(self._header_names, self._header_values, strict=True):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self._header_names.clear()
        self._header_values.clear()
        self._head_bytes = 0
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            return  # an interim response (100 Continue): the real one follows
        if self.message_complete:  # a second answer to one request: never reuse this
            self.reusable = False
            raise ConnectionBroken("the upstream answered twice")
        self._until_close = "content-length" not in headers and "chunked" not in headers.get(
            "transfer-encoding", ""
        )
        self.response = Response(self, status, headers)
        if self._head is not None and not self._head.done():
            self._head.set_result(self.response)

    def on_body(self, body: bytes) -> None:
        if self.response is not None:
            self.response._feed(body)

    def on_message_complete(self) -> None:
        if self.response is None:
            return  # end of an interim response
        self.message_complete = True
        self.reusable = self._parser.should_keep_alive() and not self._until_close
        self.response._wake()

    def _broken(self, error: UpstreamError) -> None:
        if self.response is not None and not self.message_complete:
            self.response._fail(error)
        elif self._head is not None and not self._head.done():
            self._head.set_exception(error)
        self.close()


class _OriginPool:
    """The idle connections to one origin, most recently used last."""

    def __init__(self, client: UpstreamClient, target: Target) -> None:
        self._client = client
        self._target = target
        self.idle: list[_Connection] = []

    async def acquire(self, connect_timeout: float, deadline: float | None = None) -> _Connection:
        """An idle connection, else a new one (within `connect_timeout` seconds, and by
        `deadline` on the event loop's clock)."""
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed and now - conn.idle_since < self._client.keepalive:
                return conn
            conn.close()
        if deadline is not None:
            connect_timeout = min(connect_timeout, deadline - asyncio.get_running_loop().time())
        return await self._connect(connect_timeout)

    def release(self, conn: _Connection) -> None:
        if conn.closed or len(self.idle) >= _MAX_IDLE_PER_ORIGIN or self._client.closed:
            conn.close()
            return
        conn.in_use = False
        conn.idle_since = time.monotonic()
        self.idle.append(conn)

    def forget(self, conn: _Connection) -> None:
        if self.idle and conn in self.idle:
            self.idle.remove(conn)

    def sweep(self, now: float) -> None:
        keep = []
        for conn in self.idle:
            if conn.closed or now - conn.idle_since >= self._client.keepalive:
                conn.close()
            else:
                keep.append(conn)
        self.idle = keep

    def close_all(self) -> None:
        idle, self.idle = self.idle, []
        for conn in idle:
            conn.close()

    async def _connect(self, connect_timeout: float) -> _Connection:
        target = self._target
        loop = asyncio.get_running_loop()
        tls = self._client.tls_context() if target.scheme == "https" else None
        try:
            async with asyncio.timeout(connect_timeout):
                addresses = await self._client.resolve(target.host, target.port)
                last: OSError | None = None
                for family, address in addresses:
                    try:
                        transport, conn = await loop.create_connection(
                            lambda: _Connection(self),
                            address[0],
                            address[1],
                            family=family,
                            ssl=tls,
                            server_hostname=target.host if tls else None,
                        )
                        # uvloop may call connection_made() only after this returns
                        conn.transport = transport
                        return conn
                    except OSError as error:
                        last = error
                raise last or OSError("no address")
        except TimeoutError:  # an OSError too: the caller's deadline, not a connect failure
            raise
        except (OSError, ssl.SSLError) as error:
            raise ConnectFailed(f"could not connect ({type(error).__name__})") from None


class UpstreamClient:
    """Keep-alive pools to upstream origins. `start()` / `close()` by the owner."""

    def __init__(self, *, user_agent: str = "parley", keepalive: float = 30.0) -> None:
        self.keepalive = keepalive
        self.closed = True
        self._user_agent = user_agent
        self._pools: dict[tuple[str, str, int], _OriginPool] = {}
        self._dns: dict[tuple[str, int], tuple[float, list[tuple[int, Any]]]] = {}
        self._tls: ssl.SSLContext | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    def start(self) -> None:
        if not self.closed:
            return
        self.closed = False
        self._schedule_sweep()

    def close(self) -> None:
        self.closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for pool in self._pools.values():
            pool.close_all()
        self._pools.clear()

    def tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def resolve(self, host: str, port: int) -> list[tuple[int, Any]]:
        """The addresses of `host`, cached for a few minutes (IP literals skip the
        resolver)."""
        now = time.monotonic()
        cached = self._dns.get((host, port))
        if cached is not None and cached[0] > now:
            return cached[1]
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        addresses: list[tuple[int, Any]] = [(family, addr) for family, _, _, _, addr in infos]
        self._dns[(host, port)] = (now + _DNS_TTL, addresses)
        return addresses

    async def post(
        self,
        target: Target,
        body: bytes,
        headers: Mapping[str, str],
        *,
        connect_timeout: float,
        deadline: float | None = None,
    ) -> tuple[_Connection, Response]:
        """Send the request and wait for the response head, connecting within
        `connect_timeout` seconds and all of it by `deadline` (the event loop's clock). The
        caller must `finish()` the connection. Raises `UpstreamError`, `ValueError` (bad
        header) or `TimeoutError`."""
        if self.closed:
            raise RuntimeError("UpstreamClient.start() was not called (or close() was)")
        head = self._head(target, headers, len(body))
        pool = self._pools.get(target.origin)
        if pool is None:
            pool = self._pools[target.origin] = _OriginPool(self, target)
        conn = await pool.acquire(connect_timeout, deadline)
        try:
            response = await _within(conn.send(head, body), deadline)
        except BaseException:
            conn.close()
            raise
        return conn, response

    def finish(self, target: Target, conn: _Connection, response: Response) -> None:
        """Give the connection back to its pool if its answer was read to the end and the
        server keeps it open; close it otherwise."""
        pool = self._pools.get(target.origin)
        if pool is not None and conn.reusable and response.at_eof() and not conn.closed:
            pool.release(conn)
        else:
            conn.close()

    def _head(self, target: Target, headers: Mapping[str, str], length: int) -> bytes:
        lines = [
            f"POST {target.request_target} HTTP/1.1",
            f"Host: {target.host_header}",
            f"User-Agent: {self._user_agent}",
            "Accept-Encoding: identity",
            f"Content-Length: {length}",
        ]
        for name, value in headers.items():
            _check_header(name, value)
            lines.append(f"{name}: {value}")
        lines.append("\r\n")
        try:
            return "\r\n".join(lines).encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError("a request header is not Latin-1 text") from None

    def _schedule_sweep(self) -> None:
        loop = asyncio.get_running_loop()
        self._sweeper = loop.call_later(max(1.0, self.keepalive / 2), self._sweep)

    def _sweep(self) -> None:
        now = time.monotonic()
        for pool in self._pools.values():
            pool.sweep(now)
        if not self.closed:
            self._schedule_sweep()


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


async def _within(future: asyncio.Future[T], deadline: float | None) -> T:
    """`await future`, failing it with `TimeoutError` at `deadline` (the loop's clock).

    A timer on the future itself rather than `asyncio.timeout()`: this is every upstream
    call's wait, and the timer costs a quarter of the instructions (no `Timeout` object, no
    task cancellation to undo; bench/NOTES.md). The future is this module's own, so failing
    it is all that is needed; a cancelled caller cancels the timer too."""
    if deadline is None:
        return await future
    timer = future.get_loop().call_at(deadline, _expire, future)
    try:
        return await future
    finally:
        timer.cancel()
