"""Every admin and audit route refuses plain users (403) and anonymous callers (401)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.admin import create_api_key
from tests.support.users import sign_up

SOME_ID = "6f1c2a4e-1d2b-4c3d-9e8f-0a1b2c3d4e5f"  # fixed: xdist workers must collect alike
NEW_USER = {"email": "x@example.com", "username": "xavier", "password": "a good passphrase 42"}

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/admin/users", None),
    ("POST", "/v1/admin/users", NEW_USER),
    ("GET", f"/v1/admin/users/{SOME_ID}", None),
    ("PATCH", f"/v1/admin/users/{SOME_ID}", {"role": "admin"}),
    ("DELETE", f"/v1/admin/users/{SOME_ID}", None),
    ("POST", f"/v1/admin/users/{SOME_ID}/revoke-sessions", None),
    ("GET", "/v1/admin/models", None),
    ("POST", "/v1/admin/models", {"name": "x", "provider": "echo", "upstream_model": "echo"}),
    ("GET", f"/v1/admin/models/{SOME_ID}", None),
    ("PATCH", f"/v1/admin/models/{SOME_ID}", {"enabled": False}),
    ("DELETE", f"/v1/admin/models/{SOME_ID}", None),
    ("GET", "/v1/admin/usage?group_by=user", None),
    ("PUT", f"/v1/admin/limits/user/{SOME_ID}", {"requests_per_minute": 1}),
    ("POST", "/v1/incidents", {"title": "t", "severity": "minor", "message": "m"}),
    ("PATCH", f"/v1/incidents/{SOME_ID}", {"status": "resolved"}),
    ("POST", f"/v1/incidents/{SOME_ID}/updates", {"message": "m"}),
    ("GET", "/v1/audit", None),
    ("GET", "/v1/audit/export?format=csv", None),
    ("GET", "/v1/audit/export?format=jsonl", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_plain_user_is_refused(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    await sign_up(client, "root")
    user = await sign_up(client, "plain")
    key = await create_api_key(client, user)

    for headers in (user.headers, {"Authorization": f"Bearer {key}"}):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")

    # A refused PATCH must not have promoted anyone.
    me = await client.get("/v1/me", headers=user.headers)
    assert me.json()["role"] == "user"


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_anonymous_caller_is_refused(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    await sign_up(client, "root")
    response = await client.request(method, path, json=body)
    assert response.status_code == 401
    bad_token = await client.request(
        method, path, json=body, headers={"Authorization": "Bearer not-a-token"}
    )
    assert bad_token.status_code == 401


async def test_there_is_no_route_that_changes_audit_rows(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    events = (await client.get("/v1/audit", headers=admin.headers)).json()["items"]
    event_id = events[0]["id"]
    for method in ("PUT", "PATCH", "DELETE"):
        response = await client.request(method, f"/v1/audit/{event_id}", headers=admin.headers)
        assert response.status_code in {404, 405}
    for method in ("POST", "DELETE"):
        response = await client.request(method, "/v1/audit", headers=admin.headers)
        assert response.status_code == 405
