"""One table maps every domain error to a status and a stable problem type; one handler
renders them. Unexpected exceptions become a bare 500 — logged, never shown."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from parley.api.openai_format import openai_error
from parley.api.problems import problem_body, problem_response, problem_type
from parley.domain import errors as e
from parley.log import get_logger

log = get_logger("parley.api")

# Most specific first: the first matching class wins.
ERROR_TABLE: list[tuple[type[e.ParleyError], int, str]] = [
    (e.ValidationFailed, 422, "validation-failed"),
    (e.EmailTaken, 409, "email-taken"),
    (e.UsernameTaken, 409, "username-taken"),
    (e.ModelNameTaken, 409, "model-name-taken"),
    (e.LastActiveAdmin, 409, "last-active-admin"),
    (e.ToolNameTaken, 409, "tool-name-taken"),
    (e.Conflict, 409, "conflict"),
    (e.NotFound, 404, "not-found"),
    (e.RefreshTokenReused, 401, "refresh-token-reused"),
    (e.InvalidCredentials, 401, "invalid-credentials"),
    (e.AuthenticationRequired, 401, "authentication-required"),
    (e.RegistrationClosed, 403, "registration-closed"),
    (e.PermissionDenied, 403, "forbidden"),
    (e.RateLimited, 429, "rate-limited"),
    (e.StorageQuotaExceeded, 413, "storage-quota-exceeded"),
    (e.PayloadTooLarge, 413, "payload-too-large"),
    (e.UnsupportedMediaType, 415, "unsupported-media-type"),
    (e.ServiceUnavailable, 503, "service-unavailable"),
    (e.ProviderTimeout, 504, "provider-timeout"),
    (e.ProviderAuthFailed, 502, "provider-misconfigured"),
    (e.ProviderRejected, 502, "provider-rejected"),
    (e.ProviderStreamBroken, 502, "provider-stream-broken"),
    (e.ProviderUnavailable, 503, "provider-unavailable"),
    (e.ProviderError, 502, "provider-error"),
]


def classify(error: e.ParleyError) -> tuple[int, str]:
    for error_type, status, slug in ERROR_TABLE:
        if isinstance(error, error_type):
            return status, slug
    return 400, "bad-request"


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def error_headers(error: e.ParleyError, status: int) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(error, e.RateLimited):
        headers["Retry-After"] = retry_after_header(error.retry_after)
        headers.update(error.headers)
    elif isinstance(error, e.ServiceUnavailable | e.ProviderError) and error.retry_after:
        headers["Retry-After"] = retry_after_header(error.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return headers


def render_error(error: e.ParleyError, instance: str | None = None) -> dict[str, Any]:
    status, slug = classify(error)
    errors = None
    if isinstance(error, e.ValidationFailed):
        errors = [
            {"loc": list(item.loc), "msg": item.message, "type": item.kind} for item in error.errors
        ]
    return problem_body(
        status, HTTPStatus(status).phrase, error.detail, slug=slug, instance=instance, errors=errors
    )


# Routes that speak OpenAI's API answer errors in OpenAI's shape, so OpenAI SDKs raise their
# typed exceptions with a readable message.
OPENAI_COMPATIBLE_PATHS = frozenset({"/v1/chat/completions", "/v1/models", "/v1/completions"})


def _respond(path: str, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    if path in OPENAI_COMPATIBLE_PATHS:
        slug = str(body["type"]).removeprefix(problem_type(""))
        detail = str(body["detail"])
        if body.get("errors"):
            detail += " " + "; ".join(
                f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
                for item in body["errors"]
            )
        return JSONResponse(
            openai_error(int(body["status"]), detail, slug),
            int(body["status"]),
            dict(headers) if headers else None,
        )
    return problem_response(body, headers)


def error_response(error: e.ParleyError, path: str) -> Response:
    """A domain error as the response for `path` (OpenAI's shape on OpenAI's paths)."""
    body = render_error(error, path)
    return _respond(path, body, error_headers(error, int(body["status"])))


def validation_response(errors: Iterable[Mapping[str, Any]], path: str) -> Response:
    """422 for request validation errors (pydantic's, or FastAPI's JSON decode error)."""
    items = [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type", "")}
        for item in errors
    ]
    body = problem_body(
        422,
        "Unprocessable Content",
        "The request is not valid; see `errors`.",
        slug="validation-failed",
        instance=path,
        errors=items,
    )
    return _respond(path, body)


def http_error_response(
    status: int, detail: Any, path: str, headers: Mapping[str, str] | None = None
) -> Response:
    phrase = HTTPStatus(status).phrase
    body = problem_body(
        status,
        phrase,
        detail if isinstance(detail, str) else phrase,
        slug="about:blank",
        instance=path,
    )
    return _respond(path, body, headers)


def unexpected_error_response(error: BaseException, path: str) -> Response:
    log.error("unhandled_error", path=path, exc_info=error)
    body = problem_body(
        500,
        "Internal Server Error",
        "Something went wrong on our side; the request id identifies it in our logs.",
        slug="internal-error",
        instance=path,
    )
    return _respond(path, body)


async def _parley_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, e.ParleyError)
    return error_response(error, request.url.path)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return validation_response(error.errors(), request.url.path)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    return http_error_response(
        error.status_code, error.detail, request.url.path, getattr(error, "headers", None)
    )


async def _unexpected_error(request: Request, error: Exception) -> Response:
    return unexpected_error_response(error, request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(e.ParleyError, _parley_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": HTTPStatus(status).phrase, "content": {"application/problem+json": {}}}
    for status in (401, 403, 404, 409, 413, 415, 422, 429)
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: its documented problem statuses."""
    return {status: PROBLEM_RESPONSES[status] for status in statuses}
