"""Usage records and reports, and the limits that hold every request to its policy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import text

from parley.application.chat.completions import CompletionInput, CompletionResult
from parley.application.chat.requests import GenerationOptions
from parley.container import Container
from parley.domain.chat import ChatMessage
from tests.conftest import make_settings, serve_app
from tests.support.limits import fresh_minute
from tests.support.models import add_model
from tests.support.scripted_upstream import Drop, Fail, Reply, ScriptedUpstream
from tests.support.sse import parse_events
from tests.support.users import SignedIn, sign_up


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


async def chat(
    client: httpx.AsyncClient, who: SignedIn, model: str = "m", **extra: Any
) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    return await client.post("/v1/chat/completions", headers=who.headers, json=body)


async def usage_rows(container: Container) -> list[Any]:
    await container.usage_sink.flush()
    async with container.engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT endpoint, requested_model, served_model, status, prompt_tokens, "
                "completion_tokens, tokens_estimated, cost_micros, error_type, ttft_ms "
                "FROM usage_logs ORDER BY at"
            )
        )
        return list(result.all())


async def test_usage_rows_for_success_failure_and_a_broken_stream(
    client: httpx.AsyncClient, container: Container, upstream: ScriptedUpstream
) -> None:
    root = await sign_up(client, "root")
    await add_model(
        client,
        root,
        "m",
        upstream.openai_base_url,
        input_price_per_mtok=2,
        output_price_per_mtok=10,
    )
    upstream.enqueue(
        Reply(text="fine", usage=(1000, 100)),
        Fail(500),
        Fail(500),
        Fail(500),
        Drop(after_chunks=1, reply=Reply(text="half of it", chunks=2)),
        Reply(text="no usage reported", usage=None),
    )
    assert (await chat(client, root)).status_code == 200
    assert (await chat(client, root)).status_code == 503
    assert (await chat(client, root, stream=True)).status_code == 200
    assert (await chat(client, root)).status_code == 200
    rows = await usage_rows(container)
    assert [(r.status, r.requested_model) for r in rows] == [
        ("success", "m"),
        ("error", "m"),
        ("incomplete", "m"),
        ("success", "m"),
    ]
    ok, failed, broken, estimated = rows
    assert (ok.prompt_tokens, ok.completion_tokens, ok.tokens_estimated) == (1000, 100, False)
    assert ok.cost_micros == 2000 + 1000  # 1000 x $2/M + 100 x $10/M, in millionths
    assert ok.ttft_ms is not None and ok.served_model == "m"
    assert failed.error_type == "ProviderUnavailable" and failed.served_model is None
    assert broken.tokens_estimated and broken.completion_tokens > 0
    assert broken.error_type == "ProviderStreamBroken"
    assert estimated.tokens_estimated and estimated.completion_tokens > 0


async def test_stream_turns_are_accounted_too(
    client: httpx.AsyncClient, container: Container, upstream: ScriptedUpstream
) -> None:
    root = await sign_up(client, "root")
    await add_model(client, root, "m", upstream.openai_base_url)
    upstream.enqueue(Reply(text="a turn", usage=(7, 2)))
    response = await client.post(
        "/v2/chat/stream", headers=root.headers, json={"message": "hello", "model": "m"}
    )
    conversation_id = parse_events(response.text)[0].data["id"]
    rows = await usage_rows(container)
    assert [(r.endpoint, r.status, r.prompt_tokens, r.completion_tokens) for r in rows] == [
        ("chat.stream", "success", 7, 2)
    ]
    async with container.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT conversation_id FROM usage_logs"))).scalar()
    assert str(stored).replace("-", "") == conversation_id.replace("-", "")


async def test_reports_from_daily_rollups(
    client: httpx.AsyncClient, container: Container, upstream: ScriptedUpstream
) -> None:
    root = await sign_up(client, "root")
    alice = await sign_up(client, "alice")
    await add_model(client, root, "m", upstream.openai_base_url, input_price_per_mtok=1)
    upstream.enqueue(Reply(usage=(100, 10)), Reply(usage=(100, 10)), Reply(usage=(50, 5)))
    await chat(client, root)
    await chat(client, root)
    await chat(client, alice)
    await chat(client, alice, model="echo")
    await container.usage_sink.flush()
    by_user = (await client.get("/v1/admin/usage?group_by=user", headers=root.headers)).json()
    totals = {row["user"]: row["requests"] for row in by_user["items"]}
    assert totals == {root.user["id"]: 2, alice.user["id"]: 2}
    mine = (await client.get("/v1/me/usage?group_by=model", headers=alice.headers)).json()
    assert {row["model"]: row["prompt_tokens"] for row in mine["items"]}["m"] == 50
    assert {row["model"] for row in mine["items"]} == {"m", "echo"}
    by_day = (await client.get("/v1/me/usage?group_by=day", headers=root.headers)).json()
    assert by_day["items"][0]["requests"] == 2 and by_day["items"][0]["cost"] == pytest.approx(
        0.0002
    )
    assert (
        await client.get("/v1/me/usage?group_by=user", headers=alice.headers)
    ).status_code == 422
    assert (await client.get("/v1/admin/usage", headers=alice.headers)).status_code == 403
    empty = await client.get(
        "/v1/me/usage?group_by=day&from=2001-01-01&to=2001-01-02", headers=root.headers
    )
    assert empty.json()["items"] == []


async def test_requests_per_minute_limit_answers_429_in_both_shapes(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(
        tmp_path, database_url, tier_limits={"free": {"requests_per_minute": 3}}
    )
    await fresh_minute()
    async with serve_app(settings) as (client, _):
        await sign_up(client, "root")
        alice = await sign_up(client, "alice")
        statuses = [(await chat(client, alice, "echo")).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = await chat(client, alice, "echo")
        assert refused.status_code == 429
        assert refused.json()["error"]["type"] == "rate_limit_error"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["x-ratelimit-limit"] == "3"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        stream = await client.post("/v2/chat/stream", headers=alice.headers, json={"message": "x"})
        assert stream.status_code == 429
        assert stream.headers["content-type"].startswith("application/problem+json")
        key = (await client.post("/v1/api-keys", headers=alice.headers, json={"name": "k"})).json()[
            "key"
        ]
        sdk = openai.AsyncOpenAI(
            base_url="http://parley.test/v1", api_key=key, http_client=client, max_retries=0
        )
        with pytest.raises(openai.RateLimitError):
            await sdk.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "x"}]
            )
        listed = await client.get("/v1/conversations", headers=alice.headers)
        assert listed.json()["items"] == []  # the refused turn stored nothing


async def test_overrides_per_user_and_per_key(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(
        tmp_path, database_url, tier_limits={"free": {"requests_per_minute": 2}}
    )
    await fresh_minute()
    async with serve_app(settings) as (client, _):
        root = await sign_up(client, "root")
        alice = await sign_up(client, "alice")
        raised = await client.put(
            f"/v1/admin/limits/user/{alice.user['id']}",
            headers=root.headers,
            json={"requests_per_minute": 5},
        )
        assert raised.status_code == 200 and raised.json()["limits"] == {"requests_per_minute": 5}
        created = await client.post("/v1/api-keys", headers=alice.headers, json={"name": "k"})
        key_id, key = created.json()["id"], created.json()["key"]
        capped = await client.put(
            f"/v1/admin/limits/api_key/{key_id}",
            headers=root.headers,
            json={"requests_per_minute": 1},
        )
        assert capped.status_code == 200
        by_key = {"Authorization": f"Bearer {key}"}
        body = {"model": "echo", "messages": [{"role": "user", "content": "x"}]}
        assert (
            await client.post("/v1/chat/completions", headers=by_key, json=body)
        ).status_code == 200
        assert (
            await client.post("/v1/chat/completions", headers=by_key, json=body)
        ).status_code == 429
        # The user's own limit (5) still has room for the session token.
        assert [(await chat(client, alice, "echo")).status_code for _ in range(3)] == [
            200,
            200,
            200,
        ]
        assert (await chat(client, alice, "echo")).status_code == 429
        bad = await client.put(
            f"/v1/admin/limits/user/{alice.user['id']}", headers=root.headers, json={"rpm": 1}
        )
        assert bad.status_code == 422
        audit = (
            await client.get("/v1/audit?action=admin.limits.updated", headers=root.headers)
        ).json()
        assert len(audit["items"]) == 2


async def test_max_output_tokens_are_clamped(
    tmp_path: Path, database_url: str, upstream: ScriptedUpstream
) -> None:
    settings = make_settings(
        tmp_path, database_url, tier_limits={"free": {"max_output_tokens": 50}}
    )
    async with serve_app(settings) as (client, _):
        root = await sign_up(client, "root")
        await add_model(client, root, "m", upstream.openai_base_url)
        await chat(client, root, max_tokens=4000)
        await chat(client, root)
        assert [r.body["max_tokens"] for r in upstream.requests] == [50, 50]


async def test_token_limits_reserve_then_settle(
    tmp_path: Path, database_url: str, upstream: ScriptedUpstream
) -> None:
    # 300 tokens a minute; each request reserves its prompt estimate + max_tokens (100) and
    # settles to the reported usage (10 + 5), so many small requests fit where the
    # reservations alone would not.
    settings = make_settings(
        tmp_path,
        database_url,
        tier_limits={"free": {"tokens_per_minute": 300, "max_output_tokens": 100}},
    )
    await fresh_minute()
    async with serve_app(settings) as (client, _):
        root = await sign_up(client, "root")
        await add_model(client, root, "m", upstream.openai_base_url)
        statuses = [(await chat(client, root, max_tokens=100)).status_code for _ in range(8)]
        assert (
            statuses == [200] * 8
        )  # 8 x 15 real tokens = 120 ≤ 300, though 8 x ~110 reserved > 300
        too_big = await chat(
            client, root, max_tokens=100, messages=[{"role": "user", "content": "x " * 400}]
        )
        assert too_big.status_code == 429


async def test_metrics_expose_chat_counters(client: httpx.AsyncClient) -> None:
    root = await sign_up(client, "root")
    await chat(client, root, "echo")
    metrics = (await client.get("/metrics")).text
    assert 'parley_chat_requests_total{model="echo",outcome="success"} 1.0' in metrics
    assert "parley_chat_time_to_first_token_seconds_bucket" in metrics
    assert 'parley_tokens_total{kind="completion",model="echo"}' in metrics
    assert (
        'parley_http_requests_total{method="POST",route="/v1/chat/completions",status="200"}'
        in metrics
    )
    assert "parley_active_streams 0.0" in metrics
    json.dumps(metrics)  # plain text


async def test_the_monthly_budget_is_enforced(
    tmp_path: Path, database_url: str, upstream: ScriptedUpstream
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        tier_limits={"free": {"monthly_budget": 0.02, "max_output_tokens": 10}},
    )
    async with serve_app(settings) as (client, container):
        root = await sign_up(client, "root")
        await add_model(client, root, "pricey", upstream.openai_base_url, input_price_per_mtok=1000)
        upstream.set_default(Reply(usage=(4, 1)))  # each call really costs 4 x $1000/M = $0.004
        statuses = [(await chat(client, root, "pricey")).status_code for _ in range(8)]
        assert statuses[0] == 200 and statuses[-1] == 429
        assert statuses == sorted(statuses)  # once refused, refused until the month ends
        await container.usage_sink.flush()
        spent = (await client.get("/v1/me/usage?group_by=model", headers=root.headers)).json()
        assert sum(row["cost"] for row in spent["items"]) <= 0.02
        assert (await chat(client, root, "echo")).status_code == 200  # free models still work


async def test_an_answer_is_delivered_before_it_is_accounted_and_accounted_if_delivery_fails(
    client: httpx.AsyncClient, container: Container
) -> None:
    """The usage record and the settlement come after the answer is sent (they add nothing to
    the caller's latency), and a send that fails (the client left) still accounts it."""
    root = await sign_up(client, "root")
    principal = await container.services.identity.authenticate(root.access_token)
    data = CompletionInput("echo", [ChatMessage("user", "hi")], GenerationOptions())
    rows_at_delivery: list[int] = []

    async def deliver(result: CompletionResult) -> None:
        assert result.completion.text
        rows_at_delivery.append(len(await usage_rows(container)))
        raise ConnectionResetError("the client left")

    with pytest.raises(ConnectionResetError):
        await container.services.chat.complete(principal, data, deliver)
    rows = await usage_rows(container)
    assert rows_at_delivery == [0]
    assert [(row.endpoint, row.status) for row in rows] == [("chat.completions", "success")]
