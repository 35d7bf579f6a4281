"""Limits that hold across two `parley serve` processes sharing PostgreSQL and Redis, and
what happens while Redis is away."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET, make_settings, serve_app
from tests.support.limits import fresh_minute
from tests.support.redis_server import PrivateRedis
from tests.support.scripted_upstream import Reply, ScriptedUpstream
from tests.support.server import ServerProcess
from tests.support.users import sign_up

pytestmark = pytest.mark.slow
PASSWORD = "a perfectly fine passphrase"
BODY = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}


def api_key(base_url: str, name: str) -> dict[str, str]:
    httpx.post(
        f"{base_url}/v1/auth/register",
        json={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
    ).raise_for_status()
    token = httpx.post(
        f"{base_url}/v1/auth/login", json={"login": name, "password": PASSWORD}
    ).json()["access_token"]
    key = httpx.post(
        f"{base_url}/v1/api-keys", headers={"Authorization": f"Bearer {token}"}, json={"name": "k"}
    ).json()["key"]
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def two_servers(
    tmp_path: Path, postgres_url: str, redis_url: str, request: pytest.FixtureRequest
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    limits = getattr(request, "param", {"requests_per_minute": 10})
    env = {
        "PARLEY_DATABASE_URL": postgres_url,
        "PARLEY_REDIS_URL": redis_url,
        "PARLEY_SECRET_KEY": TEST_SECRET,
        "PARLEY_TIER_LIMITS": json.dumps({"free": limits}),
        "PARLEY_REPLICAS": "2",
    }
    with ServerProcess(env, tmp_path) as one, ServerProcess(env, tmp_path) as two:
        yield one, two


def test_ten_requests_a_minute_means_ten_in_total_not_per_process(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    import asyncio

    asyncio.run(fresh_minute(8))
    one, two = two_servers
    api_key(one.base_url, "root")
    headers = api_key(one.base_url, "alice")
    statuses = []
    for i in range(20):
        server = (one, two)[i % 2]
        statuses.append(
            httpx.post(
                f"{server.base_url}/v1/chat/completions", headers=headers, json=BODY
            ).status_code
        )
    assert statuses.count(200) == 10
    assert statuses.count(429) == 10


@pytest.mark.parametrize("two_servers", [{"concurrent_streams": 1}], indirect=True)
def test_one_open_stream_means_one_across_processes(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = two_servers
    upstream = ScriptedUpstream()
    upstream.start_in_thread()
    try:
        root = api_key(one.base_url, "root")
        token_headers = root
        httpx.post(
            f"{one.base_url}/v1/admin/models",
            headers=token_headers,
            json={
                "name": "slow",
                "provider": "openai",
                "upstream_model": "scripted-model",
                "base_url": upstream.openai_base_url,
                "context_window": 8192,
                "tiers": ["free"],
            },
        ).raise_for_status()
        upstream.set_default(Reply(text="slow " * 10, chunks=10, chunk_gap=0.2))
        body = {**BODY, "model": "slow", "stream": True}
        opened = threading.Event()
        finished = threading.Event()

        def hold_stream() -> None:
            with httpx.stream(
                "POST", f"{one.base_url}/v1/chat/completions", headers=root, json=body, timeout=10
            ) as response:
                assert response.status_code == 200
                for _ in response.iter_lines():
                    opened.set()
            finished.set()

        holder = threading.Thread(target=hold_stream)
        holder.start()
        assert opened.wait(5)
        refused = httpx.post(f"{two.base_url}/v1/chat/completions", headers=root, json=body)
        assert refused.status_code == 429
        holder.join(10)
        assert finished.is_set()
        time.sleep(0.1)
        again = httpx.post(
            f"{two.base_url}/v1/chat/completions", headers=root, json=body, timeout=10
        )
        assert again.status_code == 200
    finally:
        upstream.stop()


async def test_redis_outage_falls_back_to_a_local_share_and_recovers(
    tmp_path: Path, postgres_url: str
) -> None:
    redis_server = PrivateRedis(tmp_path).start()
    settings = make_settings(
        tmp_path,
        postgres_url,
        redis_url=redis_server.url,
        replicas=2,
        tier_limits={"free": {"requests_per_minute": 10}},
    )
    await fresh_minute(10)
    try:
        async with serve_app(settings) as (one, _), serve_app(settings) as (two, _):
            await sign_up(one, "root")
            alice = await sign_up(one, "alice")
            assert (await one.get("/readyz")).json()["checks"]["redis"] == "ok"
            for _ in range(4):  # 4 of the 10 used while Redis is up
                assert (
                    await one.post("/v1/chat/completions", headers=alice.headers, json=BODY)
                ).status_code == 200

            redis_server.stop()
            served = [
                (
                    await one.post("/v1/chat/completions", headers=alice.headers, json=BODY)
                ).status_code
                for _ in range(8)
            ]
            # Alone, a replica enforces its share: 10 x 1/2 = 5 a minute, then 429 — neither
            # blocked nor unlimited, and the request still authenticates (from the database).
            assert served == [200] * 5 + [429] * 3
            ready = await one.get("/readyz")
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"
            assert ready.json()["checks"]["redis"] == "degraded"

            redis_server.start()  # same port, empty: counting starts over, globally
            time.sleep(1.1)  # the replicas try Redis again after their retry interval
            statuses = []
            for i in range(12):
                client = (one, two)[i % 2]
                statuses.append(
                    (
                        await client.post("/v1/chat/completions", headers=alice.headers, json=BODY)
                    ).status_code
                )
            assert statuses.count(200) == 10 and statuses.count(429) == 2
            assert (await one.get("/readyz")).json()["checks"]["redis"] == "ok"
    finally:
        redis_server.stop()
