"""Bare ASGI endpoints for the hot path, and the few helpers they share.

A hot route's endpoint is an ASGI callable: no per-request `Request`/`Response` objects,
dependency solving or worker threads. `ParleyApp` (api/app.py) dispatches to it before
Starlette's middleware stack, through Parley's own middleware (request id, access log,
metrics, body-size limit) and `HotRoute`'s 500 guard — the checks every other route gets,
without the framework layers it does not use. The same endpoint is also in the router as a
`RawRoute`, for requests the dispatch does not match exactly. Only routes whose cost is
measured (bench/) are written this way; their handlers stay thin adapters: parse, call one
use case, render with the shared renderers.
"""

from __future__ import annotations

import asyncio
import email.message
import json
from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.api.deps import credential_of
from parley.api.errors import (
    error_response,
    http_error_response,
    unexpected_error_response,
    validation_response,
)
from parley.api.middleware import services_of
from parley.domain.errors import AuthenticationRequired, ParleyError

if TYPE_CHECKING:
    from parley.application.services import Services
    from parley.domain.identity import Principal

BodyT = TypeVar("BodyT", bound=BaseModel)


class RawRoute(Route):
    """A `Route` to an ASGI endpoint that names itself in the scope (`scope["route"]`), as
    FastAPI's routes do, so metrics label requests by its path template."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


class HotRoute:
    """One hot path: names itself in the scope (`scope["route"]`, for the metrics' path
    template) and answers an unexpected exception with the same problem 500 as the app's
    handler (logged with the request id), or, once the response has started, re-raises it so
    that the server aborts the connection."""

    def __init__(self, path: str, endpoint: ASGIApp) -> None:
        self.path = path
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.endpoint(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise
            await unexpected_error_response(error, self.path)(scope, receive, send)


class ClientLeft(Exception):
    """The client disconnected before its request body arrived."""


class BodyNotParsed(Exception):
    """The body could not be decoded at all (FastAPI answers 400 for this)."""


class InvalidJson(Exception):
    """FastAPI's `json_invalid` validation error, with the same `loc`."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.errors = [
            {"loc": ("body", position), "msg": "JSON decode error", "type": "json_invalid"}
        ]


class MissingBody(Exception):
    """No body, or JSON `null` (FastAPI: "Field required" at `body`)."""

    errors = ({"loc": ("body",), "msg": "Field required", "type": "missing"},)


#: What a hot endpoint answers with a problem before its response starts.
RequestError = ParleyError | ValidationError | InvalidJson | MissingBody | BodyNotParsed
REQUEST_ERRORS = (ParleyError, ValidationError, InvalidJson, MissingBody, BodyNotParsed)


def request_error_response(error: RequestError, path: str) -> ASGIApp:
    """The problem a hot endpoint answers for `error`, as the FastAPI route would: the
    domain error's status, FastAPI's 422 for validation (with `body` first in `loc`) and
    for undecodable JSON, and 400 for a body that is not text at all."""
    if isinstance(error, ParleyError):
        return error_response(error, path)
    if isinstance(error, ValidationError):
        errors = [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]
        return validation_response(errors, path)
    if isinstance(error, InvalidJson | MissingBody):
        return validation_response(error.errors, path)
    return http_error_response(400, "There was an error parsing the body", path)


def headers_of(scope: Scope) -> dict[bytes, bytes]:
    """The request headers by lower-case name; the first of repeated headers wins (as
    Starlette's `Headers.get`)."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        found.setdefault(name, value)
    return found


async def read_request(
    scope: Scope, receive: Receive, schema: type[BodyT], path: str
) -> tuple[Services, Principal, BodyT] | None:
    """A hot endpoint's request, checked as FastAPI checks a route's: the body read (None
    when the client left first) and decoded as JSON, then the caller authenticated (a bearer
    token, else `X-API-Key`), then the body validated against `schema`. Raises the
    `REQUEST_ERRORS` (answer them with `request_error_response`)."""
    try:
        body = await read_body(receive)
    except ClientLeft:
        return None
    headers = headers_of(scope)
    services = services_of(scope["app"])
    if services is None:
        raise RuntimeError(f"POST {path} before the app started")
    payload = json_body(body, headers.get(b"content-type"))
    credential = credential_of(
        header_text(headers.get(b"authorization")), header_text(headers.get(b"x-api-key"))
    )
    if not credential:
        raise AuthenticationRequired()
    principal = await services.identity.authenticate(credential)
    if payload is None:
        raise MissingBody()
    # from_attributes: the same error texts as FastAPI for a body that is not an object
    return services, principal, schema.model_validate(payload, from_attributes=True)


def header_text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


async def read_body(receive: Receive) -> bytes:
    """The whole request body. Raises `ClientLeft`."""
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientLeft()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    parts = [body]
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientLeft()
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


def json_body(body: bytes, content_type: bytes | None) -> Any:
    """The body as FastAPI's request handling sees it before validation: parsed JSON when the
    content type is JSON (`application/json`, `application/*+json`), else the raw bytes (which
    then fail validation); `None` for an empty body (FastAPI: "Field required", as for a JSON
    `null`). Raises `InvalidJson` and `BodyNotParsed`."""
    if not body:
        return None
    if content_type is None:
        return body  # FastAPI's strict content type: no header, no JSON
    if content_type not in (b"application/json", b"application/json; charset=utf-8"):
        message = email.message.Message()
        message["content-type"] = content_type.decode("latin-1")
        subtype = message.get_content_subtype()
        if message.get_content_maintype() != "application" or not (
            subtype == "json" or subtype.endswith("+json")
        ):
            return body
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise InvalidJson(error.pos) from None
    except ValueError:  # undecodable bytes
        raise BodyNotParsed() from None


async def send_response(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", content_type),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_event_stream(
    receive: Receive,
    send: Send,
    headers: Iterable[tuple[bytes, bytes]],
    chunks: AsyncGenerator[bytes, None],
) -> None:
    """Answer 200 with `headers`, then send each of `chunks` as it comes. When the client
    disconnects, the task is cancelled wherever it waits (usually inside `chunks`, which
    then cleans up: closes the upstream call, keeps what was said) and the response ends
    quietly; `chunks` is closed whichever way the response ends."""
    await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
    task = asyncio.current_task()
    assert task is not None
    state = {"finished": False, "left": False}

    async def watch_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if not state["finished"]:
            state["left"] = True
            task.cancel()

    watcher = asyncio.create_task(watch_disconnect())
    try:
        try:
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await chunks.aclose()
        state["finished"] = True
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except asyncio.CancelledError:
        if not state["left"]:
            raise
        task.uncancel()  # our own cancellation: the client left, the stream is cleaned up
    finally:
        state["finished"] = True
        watcher.cancel()


def encode_headers(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
