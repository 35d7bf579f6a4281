"""`ScriptedUpstream`: a model server for tests, over real HTTP on 127.0.0.1.

It speaks OpenAI's Chat Completions (`POST /v1/chat/completions`, `GET /v1/models`) and
Anthropic's Messages API (`POST /v1/messages`), streamed or not as each request asks.
Tests script it by enqueueing steps (see `tests.support.scripted_steps`), one consumed per
chat request; with the queue empty it answers with a short normal reply. It records every
request and notices when a client hangs up before its answer was complete.

From async tests::

    async with ScriptedUpstream() as upstream:
        upstream.enqueue(Reply(text="Hi there", chunks=2), Fail(429, retry_after=3))
        ...  # point an OpenAI client at upstream.openai_base_url

From sync tests, or to serve another process, it runs its own loop in a thread::

    upstream = ScriptedUpstream()
    upstream.start_in_thread()
    try:
        ...
    finally:
        upstream.stop()

Every method is thread-safe. Timestamps are `time.monotonic()` values.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Sequence
from types import TracebackType
from typing import NoReturn

from aiohttp import web

from tests.support.scripted_records import RecordedRequest, RequestLog
from tests.support.scripted_steps import DEFAULT_TEXT, Drop, Fail, Hang, Reply, Step
from tests.support.scripted_wire import (
    Dialect,
    StreamPlan,
    anthropic_message,
    anthropic_stream,
    error_body,
    openai_completion,
    openai_stream,
)

__all__ = ["DEFAULT_TEXT", "Drop", "Fail", "Hang", "RecordedRequest", "Reply", "ScriptedUpstream"]


class ScriptedUpstream:
    """A scripted OpenAI/Anthropic-compatible server on an ephemeral 127.0.0.1 port."""

    def __init__(self, *, models: Sequence[str] = ("scripted-model",)) -> None:
        self._models = tuple(models)
        self._lock = threading.Lock()
        self._steps: deque[Step] = deque()
        self._default: Step = Reply()
        self._log = RequestLog()
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    # --- scripting and inspection ------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, without `/v1` (that is what Anthropic clients want)."""
        if self._port is None:
            raise RuntimeError("ScriptedUpstream is not running")
        return f"http://127.0.0.1:{self._port}"

    @property
    def openai_base_url(self) -> str:
        """`base_url + "/v1"`, what OpenAI clients want."""
        return self.base_url + "/v1"

    def enqueue(self, *steps: Step) -> None:
        """Queue steps; each chat request consumes the oldest one."""
        with self._lock:
            self._steps.extend(steps)

    def set_default(self, step: Step) -> None:
        """What to do when the queue is empty (initially `Reply()`)."""
        with self._lock:
            self._default = step

    @property
    def pending_steps(self) -> int:
        with self._lock:
            return len(self._steps)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every chat request received so far, oldest first."""
        return self._log.all()

    @property
    def last_request(self) -> RecordedRequest:
        return self._log.last()

    async def wait_client_disconnect(
        self, timeout: float = 1.0, index: int = -1
    ) -> RecordedRequest:
        """Wait until the request at `index` (default: the latest) saw its client hang up.

        Returns that request; raises `TimeoutError` if it did not happen in `timeout` s.
        Works whichever loop or thread the server runs in.
        """
        return await self._log.wait_client_disconnect(timeout, index)

    def wait_client_disconnect_blocking(
        self, timeout: float = 1.0, index: int = -1
    ) -> RecordedRequest:
        """`wait_client_disconnect` for sync code (blocks the calling thread)."""
        return self._log.wait_client_disconnect_blocking(timeout, index)

    async def wait_requests(self, count: int, timeout: float = 1.0) -> list[RecordedRequest]:
        """Wait until at least `count` chat requests arrived; return them all."""
        return await self._log.wait_count(count, timeout)

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on the running loop."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/v1/messages", self._anthropic)
        app.router.add_get("/v1/models", self._list_models)
        # handler_cancellation: a client hanging up cancels its handler, which is how
        # disconnects during delays are noticed.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def aclose(self) -> None:
        self._stopping = True
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ScriptedUpstream:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def start_in_thread(self) -> None:
        """Serve from a daemon thread with its own event loop; returns once listening."""
        ready = threading.Event()
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.aclose())
            loop.close()

        self._thread_loop = loop
        self._thread = threading.Thread(target=run, name="scripted-upstream", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("ScriptedUpstream did not start")

    def stop(self) -> None:
        """Stop a server started with `start_in_thread`."""
        if self._thread is None or self._thread_loop is None:
            return
        self._stopping = True
        self._thread_loop.call_soon_threadsafe(self._thread_loop.stop)
        self._thread.join(10)
        self._thread = self._thread_loop = None

    # --- serving -------------------------------------------------------------------------

    async def _list_models(self, request: web.Request) -> web.Response:
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": "scripted"} for m in self._models
        ]
        return web.json_response({"object": "list", "data": data})

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        return await self._chat(request, "openai")

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._chat(request, "anthropic")

    async def _chat(self, request: web.Request, dialect: Dialect) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            step = self._steps.popleft() if self._steps else self._default
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            step=step,
            received_at=time.monotonic(),
        )
        number = self._log.add(record)
        try:
            response = await self._play(request, record, dialect, number)
        except (asyncio.CancelledError, ConnectionResetError):
            if not self._stopping and not record.dropped_by_server:
                self._log.mark(record, "client_disconnected_at")
            raise
        self._log.mark(record, "completed_at")
        return response

    async def _play(
        self, request: web.Request, record: RecordedRequest, dialect: Dialect, number: int
    ) -> web.StreamResponse:
        step = record.step
        if isinstance(step, Hang):
            await asyncio.sleep(step.seconds)
            step = step.then
        if isinstance(step, Fail):
            return _failure(step, dialect)
        reply = step.reply if isinstance(step, Drop) else step
        await asyncio.sleep(reply.first_byte_delay)
        if isinstance(step, Drop) and not record.stream:
            self._drop(request, record)
        body = record.body if isinstance(record.body, dict) else {}
        model = str(body.get("model", "scripted-model"))
        if not record.stream:
            if dialect == "anthropic":
                return web.json_response(anthropic_message(reply, model, number))
            return web.json_response(openai_completion(reply, model, number))
        if dialect == "anthropic":
            plan = anthropic_stream(reply, model, number)
        else:
            options = body.get("stream_options") or {}
            plan = openai_stream(reply, model, number, bool(options.get("include_usage")))
        limit = step.after_chunks if isinstance(step, Drop) else None
        return await self._stream(request, record, plan, reply.chunk_gap, limit)

    async def _stream(
        self,
        request: web.Request,
        record: RecordedRequest,
        plan: StreamPlan,
        chunk_gap: float,
        drop_after: int | None,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.headers["Cache-Control"] = "no-cache"
        await response.prepare(request)
        for frame in plan.preamble:
            await response.write(frame)
        for position, frame in enumerate(plan.content):
            if drop_after is not None and position >= drop_after:
                self._drop(request, record)
            if position and chunk_gap:
                await asyncio.sleep(chunk_gap)
            await response.write(frame)
        if drop_after is not None:
            self._drop(request, record)
        for frame in plan.epilogue:
            await response.write(frame)
        await response.write_eof()
        return response

    def _drop(self, request: web.Request, record: RecordedRequest) -> NoReturn:
        """Abort the TCP connection mid-answer, as a crashing upstream or proxy would."""
        record.dropped_by_server = True
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # nothing more can be sent; aiohttp just cleans up


def _failure(step: Fail, dialect: Dialect) -> web.Response:
    headers = dict(step.headers)
    if step.retry_after is not None:
        headers["Retry-After"] = str(step.retry_after)
    if isinstance(step.body, str):
        return web.Response(status=step.status, text=step.body, headers=headers)
    body = step.body if step.body is not None else error_body(dialect, step.status)
    return web.json_response(dict(body), status=step.status, headers=headers)
