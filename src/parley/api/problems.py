"""RFC 9457 problem details: one renderer for every error response."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_type(slug: str) -> str:
    return f"urn:parley:problem:{slug}"


def problem_body(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    instance: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(slug) if slug != "about:blank" else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    return body


def problem_response(body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        content=json.dumps(body, separators=(",", ":")),
        status_code=int(body["status"]),
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers or {}),
    )
