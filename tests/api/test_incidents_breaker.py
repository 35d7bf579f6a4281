"""Automatic incidents through the real app: a scripted model server fails, its breaker
opens, one incident opens; the server recovers, the incident resolves with a timeline;
`/v1/status` and the signed webhook follow each step."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import make_settings, serve_app
from tests.support.incidents import eventually, incidents, model_health, status_of
from tests.support.models import add_model
from tests.support.scripted_upstream import Fail, ScriptedUpstream
from tests.support.users import sign_up
from tests.support.webhook_receiver import WebhookReceiver

WEBHOOK_SECRET = "incident-hook-secret"
BREAKER = {
    "breaker_consecutive_failures": 2,
    "breaker_cooldown_seconds": 0.5,
    "retry_max_attempts": 1,
    "status_cache_seconds": 0,
}


async def chat(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    body = {"model": "flaky", "messages": [{"role": "user", "content": "hello"}]}
    response = await client.post("/v1/chat/completions", headers=headers, json=body)
    return response.status_code


def signed(call: Any, key: bytes) -> bool:
    expected = "sha256=" + hmac.new(key, call.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(call.headers["X-Parley-Signature"], expected)


async def test_breaker_opens_one_incident_and_recovery_resolves_it(
    tmp_path: Path, database_url: str
) -> None:
    async with ScriptedUpstream() as upstream, WebhookReceiver() as receiver:
        settings = make_settings(
            tmp_path,
            database_url,
            incident_resolve_after_seconds=1.5,
            incident_webhook_url=receiver.url,
            incident_webhook_secret=WEBHOOK_SECRET,
            **BREAKER,
        )
        async with serve_app(settings) as (client, _):
            admin = await sign_up(client, "root")
            user = await sign_up(client, "alice")
            await add_model(client, admin, "flaky", upstream.openai_base_url)
            status = await status_of(client)
            assert model_health(status, "flaky") == "up"
            assert status["incidents"] == []

            upstream.enqueue(Fail(500), Fail(500))
            assert await chat(client, user.headers) >= 500
            assert await chat(client, user.headers) >= 500

            async def opened() -> Any:
                status = await status_of(client)
                return model_health(status, "flaky") == "down" and status["incidents"]

            [shown] = await eventually(opened)
            assert shown["affected_models"] == ["flaky"]
            # While open the breaker refuses at once: no upstream call, no second incident.
            assert await chat(client, user.headers) == 503
            assert len(upstream.requests) == 2
            [incident] = await incidents(client, user.headers, "open")
            assert incident["id"] == shown["id"]
            assert (incident["auto"], incident["source_model"]) == (True, "flaky")
            assert incident["status"] == "investigating"

            # The server recovers (its queue is empty: it answers normally); after the
            # cool-down the probe succeeds and the breaker closes.
            await eventually(lambda: _after_cooldown(client, user.headers), timeout=5)

            async def monitoring() -> Any:
                response = await client.get(f"/v1/incidents/{incident['id']}", headers=user.headers)
                return response.json()["status"] == "monitoring"

            await eventually(monitoring)
            status = await status_of(client)
            assert model_health(status, "flaky") == "up"
            assert [i["id"] for i in status["incidents"]] == [incident["id"]]  # not yet resolved

            async def resolved() -> Any:
                response = await client.get(f"/v1/incidents/{incident['id']}", headers=user.headers)
                body = response.json()
                return body if body["resolved_at"] else None

            detail = await eventually(resolved, timeout=10)
            assert detail["status"] == "resolved"
            assert [u["status"] for u in detail["updates"]] == [
                "investigating",  # opened
                "investigating",  # probing after the cool-down
                "monitoring",  # the probe succeeded
                "resolved",
            ]
            assert all(u["author_id"] is None for u in detail["updates"])
            assert "flaky" in detail["updates"][0]["message"]

            status = await status_of(client)
            assert model_health(status, "flaky") == "up"
            assert status["incidents"] == []
            assert await incidents(client, user.headers, "open") == []
            assert [i["id"] for i in await incidents(client, user.headers, "resolved")] == [
                incident["id"]
            ]

            audit = await client.get(
                "/v1/audit", headers=admin.headers, params={"target_type": "incident"}
            )
            actions = sorted(event["action"] for event in audit.json()["items"])
            assert actions == [
                "incident.opened",
                "incident.resolved",
                "incident.updated",
                "incident.updated",
            ]

            calls = await receiver.wait_for(4)
            events = [call.json["event"] for call in calls]
            assert events == [
                "incident.opened",
                "incident.updated",
                "incident.updated",
                "incident.resolved",
            ]
            assert all(signed(call, WEBHOOK_SECRET.encode()) for call in calls)
            assert {call.json["incident"]["id"] for call in calls} == {incident["id"]}


async def _after_cooldown(client: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    return await chat(client, headers) == 200
