"""A chat turn on a conversation longer than the model's context window: the latest
summary plus the recent messages that fit are sent, and a fresh summary is made in the
background."""

from __future__ import annotations

import asyncio

import httpx

from parley.application.chat.context_window import output_reserve
from parley.application.chat.history import SUMMARY_PREFIX
from tests.api.test_summaries import (  # noqa: F401  (fixtures)
    SMALL_WINDOW,
    admin,
    app,
    client,
    conversation_with,
    long_text,
    prompt_tokens,
    small,
    upstream,
)
from tests.support.scripted_upstream import Reply, ScriptedUpstream
from tests.support.sse import parse_events
from tests.support.users import SignedIn


async def chat(client: httpx.AsyncClient, who: SignedIn, conversation_id: str, text: str) -> list:
    response = await client.post(
        "/v2/chat/stream",
        headers=who.headers,
        json={"conversation_id": conversation_id, "message": text, "model": "small"},
    )
    assert response.status_code == 200
    return parse_events(response.text)


async def wait_for_summary(client: httpx.AsyncClient, who: SignedIn, conversation_id: str) -> dict:
    for _ in range(300):
        response = await client.get(
            f"/v1/conversations/{conversation_id}/summary", headers=who.headers
        )
        if response.status_code == 200:
            return response.json()
        await asyncio.sleep(0.05)
    raise AssertionError("no summary was made in the background")


async def test_a_chat_longer_than_the_window_sends_a_summary_and_recent_messages_that_fit(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream, small: str
) -> None:
    texts = [long_text(i) for i in range(12)]
    conversation_id, _ = await conversation_with(client, admin, texts)
    upstream.set_default(Reply(text="Short reply."))
    budget = SMALL_WINDOW - output_reserve(SMALL_WINDOW, None)

    events = await chat(client, admin, conversation_id, "What did I say last?")
    assert events[-1].name == "done" and events[-1].data["status"] == "complete"
    first = next(r.body for r in upstream.requests if r.stream)
    assert prompt_tokens(first) <= budget
    assert first["messages"][-1]["content"] == "What did I say last?"
    assert texts[-1] in [m["content"] for m in first["messages"]]
    assert texts[0] not in [m["content"] for m in first["messages"]]

    summary = await wait_for_summary(client, admin, conversation_id)
    seen = len(upstream.requests)
    events = await chat(client, admin, conversation_id, "And before that?")
    assert events[-1].name == "done" and events[-1].data["status"] == "complete"
    second = next(r.body for r in upstream.requests[seen:] if r.stream)
    assert prompt_tokens(second) <= budget
    notes = [m for m in second["messages"] if m["role"] == "system"]
    assert notes == [{"role": "system", "content": SUMMARY_PREFIX + summary["text"]}]
    assert second["messages"][0]["role"] == "system"
    assert second["messages"][-1]["content"] == "And before that?"
