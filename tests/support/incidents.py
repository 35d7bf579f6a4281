"""Helpers for incident tests: waiting for background work to show through the API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 5.0, interval: float = 0.02
) -> Any:
    """Call `check` until it returns something truthy; fail after `timeout` seconds with
    the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s; last value: {value!r}")
        await asyncio.sleep(interval)


async def status_of(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/v1/status")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def model_health(status: dict[str, Any], name: str) -> str:
    health: str = next(m["health"] for m in status["models"] if m["name"] == name)
    return health


async def incidents(
    client: httpx.AsyncClient, headers: dict[str, str], state: str | None = None
) -> list[dict[str, Any]]:
    params = {"status": state} if state else {}
    response = await client.get("/v1/incidents", headers=headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
