"""Two app instances sharing one database and the Redis breaker: one outage, one incident,
resolved once, whichever replica saw which failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import make_settings, serve_app
from tests.support.incidents import eventually, incidents, model_health, status_of
from tests.support.models import add_model
from tests.support.scripted_upstream import Fail, ScriptedUpstream
from tests.support.users import login, sign_up


async def chat(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    body = {"model": "flaky", "messages": [{"role": "user", "content": "hi"}]}
    return (await client.post("/v1/chat/completions", headers=headers, json=body)).status_code


async def test_a_shared_breaker_opens_a_single_incident(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_url=redis_url,
        breaker_consecutive_failures=2,
        breaker_cooldown_seconds=0.5,
        retry_max_attempts=1,
        status_cache_seconds=0,
        incident_resolve_after_seconds=0.5,
    )
    async with (
        ScriptedUpstream() as upstream,
        serve_app(settings) as (one, _),
        serve_app(settings) as (two, _),
    ):
        admin = await sign_up(one, "root")
        await add_model(one, admin, "flaky", upstream.openai_base_url)
        on_two = await login(two, "root")

        async def known_on_two() -> bool:
            return any(m["name"] == "flaky" for m in (await status_of(two))["models"])

        await eventually(known_on_two)
        upstream.enqueue(Fail(500), Fail(500))
        assert await chat(one, admin.headers) >= 500
        assert await chat(two, on_two.headers) >= 500  # the shared count reaches 2 here

        async def down_on_both() -> Any:
            first, second = await status_of(one), await status_of(two)
            return (
                model_health(first, "flaky") == model_health(second, "flaky") == "down"
                and first["incidents"]
            )

        await eventually(down_on_both)
        # The open shared breaker refuses on the replica that did not open it, too.
        assert await chat(one, admin.headers) == 503
        assert len(await incidents(one, admin.headers)) == 1

        await eventually(lambda: _ok(one, admin.headers))

        async def resolved() -> Any:
            items = await incidents(two, on_two.headers)
            return items if items and items[0]["resolved_at"] else None

        [incident] = await eventually(resolved, timeout=10)
        detail = (await one.get(f"/v1/incidents/{incident['id']}", headers=admin.headers)).json()
        statuses = [u["status"] for u in detail["updates"]]
        assert statuses.count("resolved") == 1  # both replicas' resolvers ran; one won
        assert statuses[0] == "investigating" and statuses[-1] == "resolved"
        assert model_health(await status_of(two), "flaky") == "up"


async def _ok(client: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    return await chat(client, headers) == 200
