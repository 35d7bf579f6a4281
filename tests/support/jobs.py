"""Waiting for background jobs in tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.support.users import SignedIn


async def wait_for_job(
    client: httpx.AsyncClient, who: SignedIn, job_id: str, timeout: float = 15.0
) -> dict[str, Any]:
    """Poll `/v1/jobs/{id}` until the job succeeded or failed; return its last state."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(f"/v1/jobs/{job_id}", headers=who.headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in {"succeeded", "failed"}:
            return job
        assert asyncio.get_running_loop().time() < deadline, f"job still {job['status']}"
        await asyncio.sleep(0.05)
