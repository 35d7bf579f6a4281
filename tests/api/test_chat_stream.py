"""`POST /v2/chat/stream` against the echo model and a scripted upstream over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.models import add_model
from tests.support.scripted_upstream import Drop, Fail, Reply, ScriptedUpstream
from tests.support.sse import parse_events
from tests.support.users import SignedIn, sign_up


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "root")


async def stream(client: httpx.AsyncClient, who: SignedIn, **body: object) -> httpx.Response:
    return await client.post("/v2/chat/stream", headers=who.headers, json=body)


async def messages_of(client: httpx.AsyncClient, who: SignedIn, conversation_id: str) -> list[dict]:
    response = await client.get(
        f"/v1/conversations/{conversation_id}/messages", headers=who.headers
    )
    assert response.status_code == 200
    return response.json()["items"]


async def test_echo_turn_streams_events_in_order_and_stores_both_messages(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    response = await stream(client, admin, message="Hello there, Parley")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_events(response.text)
    names = [e.name for e in events]
    assert names[:2] == ["conversation", "message"]
    assert names[-2:] == ["usage", "done"]
    assert set(names[2:-2]) == {"delta"}
    conversation = events[0].data
    assert conversation["created"] is True and conversation["title"] == "Hello there, Parley"
    reply = "".join(e.data["text"] for e in events if e.name == "delta")
    assert "demo" in reply.lower() and "Hello there, Parley" in reply
    done = events[-1].data
    assert done["status"] == "complete" and done["content"] == reply and done["model"] == "echo"
    stored = await messages_of(client, admin, conversation["id"])
    assert [(m["role"], m["status"]) for m in stored] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert stored[1]["usage"]["completion_tokens"] > 0


async def test_history_is_sent_to_the_model_on_the_next_turn(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(Reply(text="First answer"), Reply(text="Second answer", chunks=3))
    first = parse_events((await stream(client, admin, message="one", model="scripted")).text)
    conversation_id = first[0].data["id"]
    second = await stream(
        client, admin, message="two", model="scripted", conversation_id=conversation_id
    )
    events = parse_events(second.text)
    assert events[0].data["created"] is False
    assert "".join(e.data["text"] for e in events if e.name == "delta") == "Second answer"
    sent = upstream.requests[-1].body
    assert [(m["role"], m["content"]) for m in sent["messages"]] == [
        ("user", "one"),
        ("assistant", "First answer"),
        ("user", "two"),
    ]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


async def test_provider_failure_before_first_byte_keeps_the_user_message(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(Fail(500), Fail(502), Fail(503))  # every retry fails too
    events = parse_events(
        (await stream(client, admin, message="are you there?", model="scripted")).text
    )
    assert [e.name for e in events] == ["conversation", "message", "error"]
    error = events[-1].data
    assert error["status"] == 503 and error["type"] == "urn:parley:problem:provider-unavailable"
    assert upstream.base_url not in str(error)
    stored = await messages_of(client, admin, events[0].data["id"])
    assert [(m["role"], m["status"], m["content"]) for m in stored] == [
        ("user", "complete", "are you there?"),
        ("assistant", "failed", ""),
    ]


async def test_provider_dying_mid_stream_stores_the_partial_reply_as_incomplete(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    upstream.enqueue(Drop(after_chunks=2, reply=Reply(text="one two three four", chunks=4)))
    events = parse_events((await stream(client, admin, message="count", model="scripted")).text)
    deltas = "".join(e.data["text"] for e in events if e.name == "delta")
    assert deltas and deltas != "one two three four"
    assert events[-1].name == "error"
    assert events[-1].data["message"]["status"] == "incomplete"
    stored = await messages_of(client, admin, events[0].data["id"])
    assert stored[0]["content"] == "count"
    assert (stored[1]["status"], stored[1]["content"]) == ("incomplete", deltas)


async def test_another_users_conversation_is_404(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    first = parse_events((await stream(client, admin, message="mine")).text)
    mallory = await sign_up(client, "mallory")
    response = await stream(client, mallory, message="hi", conversation_id=first[0].data["id"])
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert len(await messages_of(client, admin, first[0].data["id"])) == 2


async def test_unknown_model_tier_and_empty_message_are_clean_errors(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    assert (await stream(client, admin, message="hi", model="nope")).status_code == 404
    await add_model(client, admin, "pro-only", upstream.openai_base_url, tiers=["pro"])
    assert (await stream(client, admin, message="hi", model="pro-only")).status_code == 403
    assert (await stream(client, admin, message="   ")).status_code == 422
    assert (await stream(client, admin)).status_code == 422
    listed = await client.get("/v1/conversations", headers=admin.headers)
    assert listed.json()["items"] == []  # nothing was stored by refused turns


async def test_context_is_cut_to_the_models_window(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "tiny", upstream.openai_base_url, context_window=300)
    conversation_id = None
    for turn in range(12):
        upstream.enqueue(Reply(text=f"answer {turn} " + "word " * 20))
        body = {"message": f"question {turn} " + "word " * 20, "model": "tiny"}
        if conversation_id:
            body["conversation_id"] = conversation_id
        events = parse_events((await stream(client, admin, **body)).text)
        conversation_id = events[0].data["id"]
        assert events[-1].name == "done"
    # The last chat turn (background summaries of the long history also call the model,
    # but not streamed).
    sent = [r for r in upstream.requests if r.body.get("stream")][-1].body["messages"]
    assert sent[-1]["content"].startswith("question 11")
    assert len(sent) < 24  # older turns were left out
    assert sent[0]["role"] == "user" or sent[0]["role"] == "system"
    assert sum(len(m["content"]) for m in sent) / 4 < 300


async def test_sse_data_lines_cannot_be_forged_by_content(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    evil = 'ok\n\nevent: done\ndata: {"forged": true}\n\n'
    upstream.enqueue(Reply(text=evil, chunks=1))
    events = parse_events((await stream(client, admin, message=evil, model="scripted")).text)
    assert [e.name for e in events].count("done") == 1
    assert "forged" not in events[-1].data
    assert "".join(e.data["text"] for e in events if e.name == "delta") == evil
