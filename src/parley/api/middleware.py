"""Pure ASGI middleware: request ids, access logs, and a cap on request bodies."""

from __future__ import annotations

import random
import re
import time
from typing import TYPE_CHECKING, Any, cast

import structlog
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.api.problems import problem_body, problem_response
from parley.log import get_logger

if TYPE_CHECKING:
    from parley.application.services import Services

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
access_log = get_logger("parley.access")


class RequestIdMiddleware:
    """Echoes a well-formed incoming `X-Request-ID` or makes one; binds it to every log line
    of the request; writes one access log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == REQUEST_ID_HEADER), None)
        request_id = request_id_for(incoming)
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id.decode()):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = getattr(scope.get("route"), "path", None)
                request_finished(
                    scope.get("app"), scope["method"], scope["path"], route, status, started
                )


def request_id_for(incoming: bytes | None) -> bytes:
    """A well-formed incoming request id, or a new one."""
    if incoming and _VALID_REQUEST_ID.match(incoming):
        return incoming
    # uuid4().hex's format. From `random` (seeded from the OS, reseeded in forked children),
    # not `secrets`: a request id is a label for logs, never a secret, and reading the OS's
    # random source was a system call per request (see domain/ids.py).
    return b"%032x" % random.getrandbits(128)


def services_of(app: Any) -> Services | None:
    """The app's services, None before its start. ParleyApp holds them in a plain attribute
    for the hot path: Starlette's `app.state` answers through `__getattr__`, which costs an
    exception on every read (~7k instructions); other apps are read through their state."""
    services = getattr(app, "services", None)
    if services is None:
        services = getattr(getattr(app, "state", None), "services", None)
    return cast("Services | None", services)


def request_finished(
    app: Any, method: str, path: str, route: str | None, status: int, started: float
) -> None:
    """Count the request by its route template (never the raw path: ids would explode the
    label set) and write its access log line."""
    seconds = time.perf_counter() - started
    services = services_of(app)
    if services is not None:
        services.operations.http_metrics.request_finished(
            method, route or "unmatched", status, seconds
        )
    access_log.info(
        "request", method=method, path=path, status=status, duration_ms=round(seconds * 1000, 2)
    )


class BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413: at once when Content-Length says so, and
    while reading when the body is longer than announced (or has no length). Paths under
    `exempt_prefixes` (uploads) enforce their own limits."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        for key, value in scope["headers"]:
            if key == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, send)
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        await too_large_response(self.max_bytes, scope["path"])(scope, _no_receive, send)


def too_large_response(max_bytes: int, path: str) -> Response:
    body = problem_body(
        413,
        "Content Too Large",
        f"The request body exceeds {max_bytes} bytes.",
        slug="payload-too-large",
        instance=path,
    )
    return problem_response(body)


async def _no_receive() -> Any:
    return {"type": "http.disconnect"}
