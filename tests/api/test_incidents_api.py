"""Admin-managed incidents, who may read and write them, the audit trail, and the signed
webhook (configured secret, derived key, retries, no redirects)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx

from parley.adapters.notifications.incident_webhook import derived_signing_key
from tests.conftest import TEST_SECRET, make_settings, serve_app
from tests.support.incidents import incidents, status_of
from tests.support.users import sign_up
from tests.support.webhook_receiver import WebhookReceiver

NEW = {"title": "Slow answers", "severity": "minor", "message": "Looking into it."}


def signature(key: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


async def create(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> Any:
    response = await client.post("/v1/incidents", headers=headers, json={**NEW, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def test_admin_manages_incidents_and_everyone_signed_in_reads_them(
    client: httpx.AsyncClient,
) -> None:
    admin = await sign_up(client, "root")
    user = await sign_up(client, "alice")
    created = await create(client, admin.headers, affected_models=["echo"], auto=True)
    assert created["status"] == "investigating"
    assert created["auto"] is False  # not assignable
    assert created["affected_models"] == ["echo"]
    assert [u["message"] for u in created["updates"]] == ["Looking into it."]
    assert created["updates"][0]["author_id"] == admin.user["id"]

    patched = await client.patch(
        f"/v1/incidents/{created['id']}",
        headers=admin.headers,
        json={"status": "identified", "severity": "major"},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["severity"]) == ("identified", "major")

    posted = await client.post(
        f"/v1/incidents/{created['id']}/updates",
        headers=admin.headers,
        json={"message": "Fixed upstream.", "status": "resolved"},
    )
    assert posted.status_code == 201, posted.text
    detail = posted.json()
    assert detail["resolved_at"] is not None
    assert [u["status"] for u in detail["updates"]] == ["investigating", "identified", "resolved"]

    read = await client.get(f"/v1/incidents/{created['id']}", headers=user.headers)
    assert read.status_code == 200
    assert read.json()["updates"] == detail["updates"]
    assert await incidents(client, user.headers, "open") == []
    assert len(await incidents(client, user.headers, "resolved")) == 1
    assert (await status_of(client))["incidents"] == []

    # Plain users read but never write; anonymous callers do neither (but see /v1/status).
    assert (await client.post("/v1/incidents", headers=user.headers, json=NEW)).status_code == 403
    assert (await client.get("/v1/incidents")).status_code == 401
    assert (await client.get(f"/v1/incidents/{created['id']}")).status_code == 401
    assert (await client.get("/v1/status")).status_code == 200

    audit = await client.get("/v1/audit", headers=admin.headers, params={"target_type": "incident"})
    events = audit.json()["items"]
    assert sorted(e["action"] for e in events) == [
        "incident.opened",
        "incident.resolved",
        "incident.updated",
    ]
    assert {e["actor_id"] for e in events} == {admin.user["id"]}
    assert {e["target_id"] for e in events} == {created["id"]}


async def test_incident_input_is_checked(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    for body in (
        {**NEW, "severity": "apocalyptic"},
        {**NEW, "title": " "},
        {**NEW, "affected_models": ["no-such-model"]},
        {"title": "x", "severity": "minor"},
    ):
        response = await client.post("/v1/incidents", headers=admin.headers, json=body)
        assert response.status_code == 422, body
    created = await create(client, admin.headers)
    path = f"/v1/incidents/{created['id']}"
    assert (await client.patch(path, headers=admin.headers, json={})).status_code == 422
    bad = await client.patch(path, headers=admin.headers, json={"status": "panicking"})
    assert bad.status_code == 422
    missing = "/v1/incidents/6f1c2a4e-1d2b-4c3d-9e8f-0a1b2c3d4e5f"
    assert (await client.get(missing, headers=admin.headers)).status_code == 404
    gone = await client.patch(missing, headers=admin.headers, json={"status": "resolved"})
    assert gone.status_code == 404
    page = await client.get("/v1/incidents", headers=admin.headers, params={"cursor": "junk"})
    assert page.status_code == 422


async def test_incident_list_pages(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    ids = [(await create(client, admin.headers, title=f"n{n}"))["id"] for n in range(3)]
    first = (await client.get("/v1/incidents", headers=admin.headers, params={"limit": 2})).json()
    second = (
        await client.get(
            "/v1/incidents",
            headers=admin.headers,
            params={"limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert second["next_cursor"] is None
    assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1]


async def test_webhook_gets_signed_open_and_resolve_calls(
    tmp_path: Path, database_url: str
) -> None:
    async with WebhookReceiver() as receiver:
        settings = make_settings(
            tmp_path,
            database_url,
            incident_webhook_url=receiver.url,
            incident_webhook_secret="s3cret",
        )
        async with serve_app(settings) as (client, _):
            admin = await sign_up(client, "root")
            created = await create(client, admin.headers)
            await client.patch(
                f"/v1/incidents/{created['id']}", headers=admin.headers, json={"status": "resolved"}
            )
            calls = await receiver.wait_for(2)
    assert [c.json["event"] for c in calls] == ["incident.opened", "incident.resolved"]
    for call in calls:
        assert call.headers["X-Parley-Signature"] == signature(b"s3cret", call.body)
        assert call.headers["X-Parley-Timestamp"].isdigit()
        assert call.headers["Content-Type"] == "application/json"
        assert call.json["incident"]["id"] == created["id"]
    assert calls[1].json["incident"]["status"] == "resolved"
    assert calls[1].json["update"]["status"] == "resolved"
    # A tampered body no longer matches its signature.
    assert calls[0].headers["X-Parley-Signature"] != signature(b"s3cret", calls[0].body + b" ")


async def test_webhook_without_a_secret_signs_with_a_key_derived_from_the_instance_secret(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with WebhookReceiver() as receiver:
        settings = make_settings(tmp_path, sqlite_url, incident_webhook_url=receiver.url)
        async with serve_app(settings) as (client, _):
            admin = await sign_up(client, "root")
            await create(client, admin.headers)
            [call] = await receiver.wait_for(1)
    key = derived_signing_key(TEST_SECRET)
    assert key != TEST_SECRET.encode()
    assert call.headers["X-Parley-Signature"] == signature(key, call.body)


async def test_webhook_retries_failures_and_never_follows_redirects(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with WebhookReceiver() as receiver:
        receiver.answer(503, 500, 302)
        settings = make_settings(
            tmp_path,
            sqlite_url,
            incident_webhook_url=receiver.url,
            incident_webhook_backoff_seconds=0.01,
        )
        async with serve_app(settings) as (client, _):
            admin = await sign_up(client, "root")
            started = await client.post("/v1/incidents", headers=admin.headers, json=NEW)
            assert started.status_code == 201  # the failing receiver does not hold it up
            first = started.json()
            await receiver.wait_for(3)  # 503 and 500 are retried; the 302 ends the delivery
            await client.patch(
                f"/v1/incidents/{first['id']}", headers=admin.headers, json={"status": "resolved"}
            )
            calls = await receiver.wait_for(4)
    assert [c.path for c in calls] == ["/hook"] * 4  # "/elsewhere" never called
    assert [c.json["event"] for c in calls] == ["incident.opened"] * 3 + ["incident.resolved"]
    assert len({c.json["id"] for c in calls[:3]}) == 1  # one delivery, retried
