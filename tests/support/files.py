"""Uploading files through the public API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.users import SignedIn


async def upload(
    client: httpx.AsyncClient,
    who: SignedIn,
    filename: str,
    content: bytes,
    content_type: str = "text/plain",
) -> httpx.Response:
    return await client.post(
        "/v1/files", headers=who.headers, files={"file": (filename, content, content_type)}
    )


async def uploaded(
    client: httpx.AsyncClient,
    who: SignedIn,
    filename: str = "notes.txt",
    content: bytes = b"some notes",
    content_type: str = "text/plain",
) -> dict[str, Any]:
    response = await upload(client, who, filename, content, content_type)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
