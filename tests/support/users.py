"""Helpers that sign users up and in through the public API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_PASSWORD = "a perfectly fine passphrase"


@dataclass
class SignedIn:
    user: dict[str, Any]
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def register(
    client: httpx.AsyncClient, name: str, password: str = DEFAULT_PASSWORD
) -> dict[str, Any]:
    response = await client.post(
        "/v1/auth/register",
        json={"email": f"{name}@example.com", "username": name, "password": password},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(client: httpx.AsyncClient, name: str, password: str = DEFAULT_PASSWORD) -> SignedIn:
    response = await client.post("/v1/auth/login", json={"login": name, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return SignedIn(body["user"], body["access_token"], body["refresh_token"])


async def sign_up(
    client: httpx.AsyncClient, name: str, password: str = DEFAULT_PASSWORD
) -> SignedIn:
    await register(client, name, password)
    return await login(client, name, password)
