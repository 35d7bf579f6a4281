"""The audit API: filters, keyset pages, and exports that a spreadsheet cannot execute."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert

from parley.adapters.sql.tables import audit_logs
from parley.container import Container
from tests.support.admin import audit_events
from tests.support.users import sign_up


async def test_filters_and_newest_first(client: httpx.AsyncClient) -> None:
    root = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    carol = await sign_up(client, "carol")

    registered = await audit_events(client, root, action="auth.user.registered")
    assert [e["target_id"] for e in registered] == [
        carol.user["id"],
        bob.user["id"],
        root.user["id"],
    ]
    everything = await audit_events(client, root)
    times = [datetime.fromisoformat(e["at"]) for e in everything]
    assert times == sorted(times, reverse=True)

    by_bob = await audit_events(client, root, actor_id=bob.user["id"])
    assert by_bob and {e["actor_id"] for e in by_bob} == {bob.user["id"]}
    about_carol = await audit_events(client, root, target_type="user", target_id=carol.user["id"])
    assert about_carol and {e["target_id"] for e in about_carol} == {carol.user["id"]}
    assert await audit_events(client, root, action="no.such.action") == []

    middle = registered[1]["at"]
    since = await audit_events(client, root, action="auth.user.registered", **{"from": middle})
    assert [e["target_id"] for e in since] == [carol.user["id"], bob.user["id"]]
    until = await audit_events(client, root, action="auth.user.registered", to=middle)
    assert [e["target_id"] for e in until] == [root.user["id"]]

    bad = await client.get("/v1/audit", params={"actor_id": "nope"}, headers=root.headers)
    assert bad.status_code == 422


async def test_keyset_pages_cover_every_event_once(
    client: httpx.AsyncClient, container: Container
) -> None:
    root = await sign_up(client, "root")
    # Many events at the very same instant: the id breaks the tie.
    same_instant = datetime(2030, 1, 1, tzinfo=UTC)
    async with container.engine.begin() as connection:
        await connection.execute(
            insert(audit_logs),
            [
                {
                    "id": uuid.uuid4(),
                    "at": same_instant,
                    "action": "test.tie",
                    "outcome": "success",
                    "details": {},
                }
                for _ in range(7)
            ],
        )
    everything = await audit_events(client, root)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/v1/audit", params=params, headers=root.headers)
        assert response.status_code == 200
        page = response.json()
        assert len(page["items"]) <= 3
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in everything]
    assert len(set(seen)) == len(seen) >= 9

    bad = await client.get("/v1/audit", params={"cursor": "e30"}, headers=root.headers)
    assert bad.status_code == 422


EVIL = {
    "actor_ip": '=HYPERLINK("http://evil.example")',
    "action": "+cmd|' /C calc'!A0",
    "target_type": "-2+3",
    "target_id": "@SUM(1+1)",
}


CONTROL = {"action": "\tTAB", "target_id": "\rCR-x"}


async def _insert_evil_event(container: Container) -> None:
    async with container.engine.begin() as connection:
        for cells in (EVIL, CONTROL):
            await connection.execute(
                insert(audit_logs).values(
                    id=uuid.uuid4(),
                    at=datetime.now(UTC) - timedelta(days=1),
                    outcome="failure",
                    details={"note": "=1+1"},
                    **cells,
                )
            )


async def test_csv_export_neutralises_formulas(
    client: httpx.AsyncClient, container: Container
) -> None:
    root = await sign_up(client, "root")
    await _insert_evil_event(container)
    response = await client.get("/v1/audit/export", params={"format": "csv"}, headers=root.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('.csv"')

    rows = list(csv.DictReader(io.StringIO(response.text)))
    [evil] = [row for row in rows if row["target_id"].endswith("@SUM(1+1)")]
    for column, value in EVIL.items():
        assert evil[column] == "'" + value
    [control] = [row for row in rows if row["target_id"].endswith("CR-x")]
    assert (control["action"], control["target_id"]) == ("'\tTAB", "'\rCR-x")
    assert json.loads(evil["details"]) == {"note": "=1+1"}  # starts with "{": inert
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert any(row["action"] == "audit.exported" for row in rows)


async def test_jsonl_export_keeps_values_and_honours_filters(
    client: httpx.AsyncClient, container: Container
) -> None:
    root = await sign_up(client, "root")
    await sign_up(client, "bob")
    await _insert_evil_event(container)
    response = await client.get(
        "/v1/audit/export",
        params={"format": "jsonl", "action": "auth.user.registered"},
        headers=root.headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["content-disposition"].startswith("attachment;")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["action"] for line in lines] == ["auth.user.registered"] * 2

    everything = await client.get(
        "/v1/audit/export", params={"format": "jsonl"}, headers=root.headers
    )
    records = [json.loads(line) for line in everything.text.splitlines()]
    [evil] = [r for r in records if r["target_id"] == EVIL["target_id"]]
    assert evil["action"] == EVIL["action"]  # JSON is data, not formulas: unchanged
    [exported] = [r for r in records if r["action"] == "audit.exported"][:1]
    assert exported["actor_id"] == root.user["id"]

    bad = await client.get("/v1/audit/export", params={"format": "xlsx"}, headers=root.headers)
    assert bad.status_code == 422
