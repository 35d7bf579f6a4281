"""Registering scripted-upstream models through the admin API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.users import SignedIn


async def add_model(
    client: httpx.AsyncClient,
    admin: SignedIn,
    name: str,
    base_url: str,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "name": name,
        "provider": "openai",
        "upstream_model": "scripted-model",
        "base_url": base_url,
        "context_window": 8192,
        "tiers": ["free", "pro", "enterprise"],
        **fields,
    }
    response = await client.post("/v1/admin/models", headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
