"""Helpers for admin and audit tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.users import SignedIn


async def audit_events(
    client: httpx.AsyncClient, admin: SignedIn, **filters: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/audit", params={"limit": 200, **filters}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def create_api_key(client: httpx.AsyncClient, user: SignedIn) -> str:
    response = await client.post("/v1/api-keys", json={"name": "script"}, headers=user.headers)
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key
