"""A mock OpenAI-compatible upstream that is never the bottleneck.

``POST .../chat/completions`` answers a canned completion, either as one JSON body (with
``usage``) or, when the request body has ``"stream": true``, as N SSE chunks separated by a
fixed gap, then a usage chunk and ``data: [DONE]``.

Behaviour per request, most specific first:

1. request headers ``x-mock-chunks``, ``x-mock-gap-ms``, ``x-mock-delay-ms``;
2. a profile in the path: ``/p/<chunks>/<gap_ms>/<delay_ms>/v1/chat/completions`` -- this
   lets a gateway that does not forward custom headers reach a given behaviour through the
   ``base_url`` of a model (``http://127.0.0.1:PORT/p/8/10/0/v1``);
3. the CLI defaults (``--chunks``, ``--gap-ms``, ``--delay-ms``).

Two implementations, same behaviour:

* ``--impl protocol`` (default): a raw ``asyncio.Protocol`` on uvloop with httptools'
  parser; responses with no delay and no gap are written in one ``transport.write``.
* ``--impl asgi``: a bare ASGI app served by uvicorn (httptools + uvloop).

``GET /health`` and ``GET /v1/models`` answer too (for readiness probes).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import signal
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, cast

import httptools

WORDS = (b"lorem", b"ipsum", b"dolor", b"sit", b"amet", b"consectetur", b"adipiscing", b"elit")
MAX_CHUNKS = 10_000
MAX_MS = 600_000


@dataclass(frozen=True)
class Behaviour:
    chunks: int
    gap_ms: float
    delay_ms: float


def _clamp_int(raw: str | bytes, hi: int) -> int:
    return max(0, min(hi, int(raw)))


def resolve(
    default: Behaviour, path: str, headers: MutableMapping[str, str]
) -> tuple[Behaviour, str]:
    """Return the behaviour for a request and the path with any profile prefix removed."""
    chunks, gap, delay = default.chunks, default.gap_ms, default.delay_ms
    if path.startswith("/p/"):
        parts = path.split("/", 5)  # ['', 'p', chunks, gap, delay, rest]
        if len(parts) == 6:
            try:
                chunks = _clamp_int(parts[2], MAX_CHUNKS)
                gap = float(_clamp_int(parts[3], MAX_MS))
                delay = float(_clamp_int(parts[4], MAX_MS))
                path = "/" + parts[5]
            except ValueError:
                pass
    try:
        if "x-mock-chunks" in headers:
            chunks = _clamp_int(headers["x-mock-chunks"], MAX_CHUNKS)
        if "x-mock-gap-ms" in headers:
            gap = float(_clamp_int(headers["x-mock-gap-ms"], MAX_MS))
        if "x-mock-delay-ms" in headers:
            delay = float(_clamp_int(headers["x-mock-delay-ms"], MAX_MS))
    except ValueError:
        pass
    return Behaviour(max(1, chunks), gap, delay), path


def parse_body(body: bytes) -> tuple[bool, str, int]:
    """(stream?, model, prompt_tokens) from a chat-completions body; tolerant of junk."""
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    model = str(doc.get("model", "mock"))[:100]
    prompt_chars = 0
    for m in doc.get("messages", []) or []:
        if isinstance(m, dict) and isinstance(m.get("content"), str):
            prompt_chars += len(m["content"])
    return bool(doc.get("stream", False)), model, max(1, prompt_chars // 4)


@functools.lru_cache(maxsize=512)
def completion_json(model: str, prompt_tokens: int, chunks: int) -> bytes:
    content = b" ".join(WORDS[i % len(WORDS)] for i in range(chunks)).decode()
    return json.dumps(
        {
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": chunks,
                "total_tokens": prompt_tokens + chunks,
            },
        },
        separators=(",", ":"),
    ).encode()


@functools.lru_cache(maxsize=512)
def sse_events(model: str, prompt_tokens: int, chunks: int) -> tuple[bytes, ...]:
    """Every SSE event of a streamed answer: content chunks, finish, usage, [DONE].

    Cached: ``created`` is the time of first use, which no client checks."""
    created = int(time.time())
    head = (
        f'{{"id":"chatcmpl-mock","object":"chat.completion.chunk","created":{created},'
        f'"model":{json.dumps(model)},'
    )
    out: list[bytes] = []
    for i in range(chunks):
        word = WORDS[i % len(WORDS)].decode() + ("" if i == chunks - 1 else " ")
        delta = {"role": "assistant", "content": word} if i == 0 else {"content": word}
        choice = {"index": 0, "delta": delta, "finish_reason": None}
        out.append(f'data: {head}"choices":[{json.dumps(choice)}]}}\n\n'.encode())
    fin = {"index": 0, "delta": {}, "finish_reason": "stop"}
    out.append(f'data: {head}"choices":[{json.dumps(fin)}]}}\n\n'.encode())
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": chunks,
        "total_tokens": prompt_tokens + chunks,
    }
    out.append(f'data: {head}"choices":[],"usage":{json.dumps(usage)}}}\n\n'.encode())
    out.append(b"data: [DONE]\n\n")
    return tuple(out)


def http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


MODELS_BODY = (
    b'{"object":"list","data":[{"id":"mock","object":"model","created":0,"owned_by":"mock"}]}'
)
HEALTH_BODY = b'{"status":"ok"}'
NOT_FOUND_BODY = b'{"error":{"message":"not found","type":"invalid_request_error","code":null}}'


# ----------------------------------------------------------------------------- protocol impl


def _response(status: bytes, body: bytes, ctype: bytes, keep_alive: bool) -> bytes:
    conn = b"keep-alive" if keep_alive else b"close"
    return b"HTTP/1.1 %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nconnection: %s\r\n\r\n%s" % (
        status,
        ctype,
        len(body),
        conn,
        body,
    )


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\nconnection: %s\r\n\r\n"
)


class MockProtocol(asyncio.Protocol):
    def __init__(self, default: Behaviour) -> None:
        self.default = default
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.pending: list[asyncio.TimerHandle] = []

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, so no isinstance check
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        for h in self.pending:
            h.cancel()
        self.pending.clear()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.write(
                    _response(b"400 Bad Request", b"{}", b"application/json", False)
                )
                self.transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self.pending:  # forget timers that already fired (keep-alive connections)
            now = asyncio.get_running_loop().time()
            self.pending = [h for h in self.pending if h.when() > now]
        self.url = b""
        self.headers = {}
        self.body = bytearray()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        t = self.transport
        if t is None:
            return
        keep = self.parser.should_keep_alive()
        method = self.parser.get_method()
        path = self.url.split(b"?", 1)[0].decode("latin-1")
        beh, path = resolve(self.default, path, self.headers)
        if method == b"POST" and path.endswith("/chat/completions"):
            stream, model, ptok = parse_body(bytes(self.body))
            if stream:
                self._stream(beh, model, ptok, keep)
            else:
                payload = _response(
                    b"200 OK", completion_json(model, ptok, beh.chunks), b"application/json", keep
                )
                self._later(beh.delay_ms, payload, not keep)
        elif method == b"GET" and path.endswith("/models"):
            t.write(_response(b"200 OK", MODELS_BODY, b"application/json", keep))
        elif method == b"GET" and path in ("/health", "/healthz", "/"):
            t.write(_response(b"200 OK", HEALTH_BODY, b"application/json", keep))
        else:
            t.write(_response(b"404 Not Found", NOT_FOUND_BODY, b"application/json", keep))
        if not keep and not self.pending:
            t.close()

    # helpers
    def _write(self, data: bytes, close: bool) -> None:
        t = self.transport
        if t is None or t.is_closing():
            return
        t.write(data)
        if close:
            t.close()

    def _later(self, delay_ms: float, data: bytes, close: bool) -> None:
        if delay_ms <= 0:
            self._write(data, close)
            return
        loop = asyncio.get_running_loop()
        self.pending.append(loop.call_later(delay_ms / 1000, self._write, data, close))

    def _stream(self, beh: Behaviour, model: str, ptok: int, keep: bool) -> None:
        events = sse_events(model, ptok, beh.chunks)
        head = STREAM_HEAD % (b"keep-alive" if keep else b"close")
        if beh.gap_ms <= 0:
            self._later(
                beh.delay_ms, head + b"".join(map(http_chunk, events)) + b"0\r\n\r\n", not keep
            )
            return
        # first content chunk after the delay, then one event per gap; the finish, usage and
        # [DONE] events follow the last content chunk at once.
        n = beh.chunks
        self._later(beh.delay_ms, head + http_chunk(events[0]), False)
        for i in range(1, n):
            self._later(beh.delay_ms + i * beh.gap_ms, http_chunk(events[i]), False)
        tail = b"".join(map(http_chunk, events[n:])) + b"0\r\n\r\n"
        self._later(beh.delay_ms + (n - 1) * beh.gap_ms, tail, not keep)


async def serve_protocol(host: str, port: int, default: Behaviour) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: MockProtocol(default), host, port, backlog=4096, reuse_address=True
    )
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"mock (protocol) listening on http://{host}:{port}", flush=True)
    await stop.wait()
    server.close()


# ---------------------------------------------------------------------------------- ASGI impl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def make_asgi(default: Behaviour) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        beh, path = resolve(default, scope["path"], headers)

        async def plain(status: int, payload: bytes) -> None:
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": payload})

        if scope["method"] == "POST" and path.endswith("/chat/completions"):
            stream, model, ptok = parse_body(bytes(body))
            if beh.delay_ms > 0:
                await asyncio.sleep(beh.delay_ms / 1000)
            if not stream:
                await plain(200, completion_json(model, ptok, beh.chunks))
                return
            events = sse_events(model, ptok, beh.chunks)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")],
                }
            )
            if beh.gap_ms <= 0:
                await send({"type": "http.response.body", "body": b"".join(events)})
                return
            for i in range(beh.chunks):
                if i:
                    await asyncio.sleep(beh.gap_ms / 1000)
                await send({"type": "http.response.body", "body": events[i], "more_body": True})
            await send({"type": "http.response.body", "body": b"".join(events[beh.chunks :])})
        elif scope["method"] == "GET" and path.endswith("/models"):
            await plain(200, MODELS_BODY)
        elif scope["method"] == "GET" and path in ("/health", "/healthz", "/"):
            await plain(200, HEALTH_BODY)
        else:
            await plain(404, NOT_FOUND_BODY)

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=18000)
    ap.add_argument("--impl", choices=["protocol", "asgi"], default="protocol")
    ap.add_argument("--chunks", type=int, default=20, help="content chunks / completion tokens")
    ap.add_argument("--gap-ms", type=float, default=0.0, help="gap between streamed chunks")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="delay before the first byte")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("loopback only")
    default = Behaviour(max(1, args.chunks), args.gap_ms, args.delay_ms)
    if args.impl == "asgi":
        import uvicorn

        uvicorn.run(
            make_asgi(default),
            host=args.host,
            port=args.port,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            access_log=False,
            backlog=4096,
        )
        return
    try:
        import uvloop

        uvloop.run(serve_protocol(args.host, args.port, default))
    except ImportError:  # plain asyncio still works, only slower
        asyncio.run(serve_protocol(args.host, args.port, default))


if __name__ == "__main__":
    main()
