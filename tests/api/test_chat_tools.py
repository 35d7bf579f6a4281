"""The /v2 chat tool loop against a scripted model over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings, serve_app
from tests.support.models import add_model
from tests.support.scripted_upstream import Reply, ScriptedUpstream
from tests.support.sse import parse_events
from tests.support.users import SignedIn, sign_up


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


async def messages_of(client: httpx.AsyncClient, who: SignedIn, conversation_id: str) -> list[dict]:
    response = await client.get(
        f"/v1/conversations/{conversation_id}/messages", headers=who.headers
    )
    assert response.status_code == 200
    return response.json()["items"]


async def test_the_model_calls_the_calculator_and_answers_with_the_result(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    admin = await sign_up(client, "root")
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(
        Reply(text="", tool_calls=[("call_1", "calculator", '{"expression": "6 * 7"}')]),
        Reply(text="The answer is 42."),
    )
    response = await client.post(
        "/v2/chat/stream",
        headers=admin.headers,
        json={"message": "What is 6 times 7?", "model": "scripted", "tools": ["calculator"]},
    )
    assert response.status_code == 200
    events = parse_events(response.text)
    names = [event.name for event in events]
    assert names.index("tool_call") < names.index("tool_result") < names.index("done")
    call = next(e.data for e in events if e.name == "tool_call")
    assert call == {"id": "call_1", "name": "calculator", "arguments": '{"expression": "6 * 7"}'}
    result = next(e.data for e in events if e.name == "tool_result")
    assert result == {
        "tool_call_id": "call_1",
        "name": "calculator",
        "content": "42",
        "is_error": False,
    }
    done = events[-1]
    assert done.name == "done" and done.data["content"] == "The answer is 42."

    # The model was offered the tool, and saw its result on the second step.
    first, second = (request.body for request in upstream.requests)
    assert [tool["function"]["name"] for tool in first["tools"]] == ["calculator"]
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert tool_message["content"] == "42"
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "calculator"

    stored = await messages_of(client, admin, events[0].data["id"])
    assert [m["role"] for m in stored] == ["user", "assistant", "tool", "assistant"]
    assert stored[1]["tool_calls"][0]["id"] == "call_1"
    assert stored[2]["tool_call_id"] == "call_1" and stored[2]["content"] == "42"


async def test_malformed_and_unoffered_calls_are_never_run(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    admin = await sign_up(client, "root")
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(
        Reply(
            text="",
            tool_calls=[
                ("c1", "search_conversations", '{"query": '),
                ("c2", "current_time", "{}"),
                ("c3", "calculator", '["1+1"]'),
            ],
        ),
        Reply(text="Sorry."),
    )
    response = await client.post(
        "/v2/chat/stream",
        headers=admin.headers,
        json={
            "message": "hi",
            "model": "scripted",
            "tools": [
                "search_conversations",
                {"type": "function", "function": {"name": "calculator"}},
            ],
        },
    )
    results = {
        e.data["tool_call_id"]: e.data
        for e in parse_events(response.text)
        if e.name == "tool_result"
    }
    assert all(result["is_error"] for result in results.values())
    assert "not valid JSON" in results["c1"]["content"]
    assert "offered" in results["c2"]["content"]
    assert "JSON object" in results["c3"]["content"]


async def test_a_cut_off_reply_does_not_run_its_tool_calls(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    admin = await sign_up(client, "root")
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(
        Reply(
            text="",
            tool_calls=[("c1", "calculator", '{"expression": "1+1"}')],
            finish_reason="length",
        ),
        Reply(text="Done."),
    )
    response = await client.post(
        "/v2/chat/stream",
        headers=admin.headers,
        json={"message": "hi", "model": "scripted", "tools": ["calculator"]},
    )
    result = next(e.data for e in parse_events(response.text) if e.name == "tool_result")
    assert result["is_error"] is True and "cut off" in result["content"]


async def test_unknown_tool_names_are_refused_before_anything_is_stored(
    client: httpx.AsyncClient,
) -> None:
    admin = await sign_up(client, "root")
    response = await client.post(
        "/v2/chat/stream",
        headers=admin.headers,
        json={"message": "hi", "tools": ["calculator", "no_such_tool"]},
    )
    assert response.status_code == 422
    listed = await client.get("/v1/conversations", headers=admin.headers)
    assert listed.json()["items"] == []


async def test_a_tool_loop_that_hits_the_step_limit_ends_cleanly(
    tmp_path: Path, database_url: str, upstream: ScriptedUpstream
) -> None:
    settings = make_settings(tmp_path, database_url, tool_max_steps=3)
    async with serve_app(settings) as (client, _):
        admin = await sign_up(client, "root")
        await add_model(client, admin, "scripted", upstream.openai_base_url)
        for step in range(5):
            upstream.enqueue(
                Reply(text="", tool_calls=[(f"call_{step}", "calculator", '{"expression": "1+1"}')])
            )
        response = await client.post(
            "/v2/chat/stream",
            headers=admin.headers,
            json={"message": "loop forever", "model": "scripted", "tools": ["calculator"]},
        )
        assert response.status_code == 200
        events = parse_events(response.text)
        assert events[-1].name == "done" and "error" not in [e.name for e in events]
        assert len(upstream.requests) == 3
        results = [e.data for e in events if e.name == "tool_result"]
        assert [r["is_error"] for r in results] == [False, False, True]
        assert "limit of 3" in results[-1]["content"]
        stored = await messages_of(client, admin, events[0].data["id"])
        assert [m["role"] for m in stored] == ["user"] + ["assistant", "tool"] * 3
        # Every stored call has its result, so the next turn's history is valid.
        calls = {c["id"] for m in stored for c in (m["tool_calls"] or [])}
        answered = {m["tool_call_id"] for m in stored if m["role"] == "tool"}
        assert calls == answered
