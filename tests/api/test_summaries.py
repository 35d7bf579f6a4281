"""Summaries through the API, against a scripted model server over real HTTP: one call
for a short conversation, map-reduce for a long one, incremental summaries, background
jobs and who may see them; and a chat turn on a conversation longer than the window,
which sends the latest summary plus the recent messages that fit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from parley.application.chat.context_window import output_reserve
from parley.application.chat.history import SUMMARY_PREFIX
from parley.application.tokens import estimate_messages_tokens
from parley.container import Container
from parley.domain.chat import ChatMessage
from tests.conftest import make_settings, serve_app
from tests.support.jobs import wait_for_job
from tests.support.models import add_model
from tests.support.scripted_upstream import Fail, Reply, ScriptedUpstream
from tests.support.sse import parse_events
from tests.support.users import SignedIn, sign_up

SMALL_WINDOW = 400


@pytest.fixture
async def app(
    tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Container]]:
    settings = make_settings(
        tmp_path,
        database_url,
        job_poll_seconds=0.05,
        job_retry_base_seconds=0.05,
        job_lease_seconds=5,
    )
    async with serve_app(settings) as pair:
        yield pair


@pytest.fixture
def client(app: tuple[httpx.AsyncClient, Container]) -> httpx.AsyncClient:
    return app[0]


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "root")


@pytest.fixture
async def small(client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream) -> str:
    await add_model(client, admin, "small", upstream.openai_base_url, context_window=SMALL_WINDOW)
    return "small"


async def conversation_with(
    client: httpx.AsyncClient, who: SignedIn, texts: list[str], model: str = "small"
) -> tuple[str, list[dict[str, Any]]]:
    response = await client.post("/v1/conversations", headers=who.headers, json={"model": model})
    assert response.status_code == 201, response.text
    conversation_id = response.json()["id"]
    return conversation_id, await add_messages(client, who, conversation_id, texts)


async def add_messages(
    client: httpx.AsyncClient, who: SignedIn, conversation_id: str, texts: list[str]
) -> list[dict[str, Any]]:
    stored = []
    for text in texts:
        response = await client.post(
            f"/v1/conversations/{conversation_id}/messages",
            headers=who.headers,
            json={"content": text},
        )
        assert response.status_code == 201, response.text
        stored.append(response.json())
    return stored


def long_text(index: int, words: int = 25) -> str:
    return f"Message{index:03d} " + " ".join(f"word{index}x{n}" for n in range(words))


def prompt_tokens(body: dict[str, Any]) -> int:
    return estimate_messages_tokens(
        [ChatMessage(role=m["role"], content=m["content"]) for m in body["messages"]]
    )


def prompt_text(body: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in body["messages"])


async def test_a_short_conversation_is_summarised_inline_in_one_call(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream, small: str
) -> None:
    conversation_id, stored = await conversation_with(
        client, admin, ["I need a cake for twelve.", "Chocolate, and no nuts please."]
    )
    upstream.enqueue(Reply(text="Wants a nut-free chocolate cake for twelve.", usage=(60, 9)))
    response = await client.post(
        f"/v1/conversations/{conversation_id}/summarize", headers=admin.headers, json={}
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["text"] == "Wants a nut-free chocolate cake for twelve."
    assert summary["covers_until_message_id"] == stored[-1]["id"]
    assert summary["model"] == small
    assert summary["usage"] == {"prompt_tokens": 60, "completion_tokens": 9, "estimated": False}
    assert len(upstream.requests) == 1
    sent = prompt_text(upstream.requests[0].body)
    assert "I need a cake for twelve." in sent and "Chocolate, and no nuts please." in sent
    assert upstream.requests[0].body["max_tokens"] == output_reserve(SMALL_WINDOW, None)
    fetched = await client.get(
        f"/v1/conversations/{conversation_id}/summary", headers=admin.headers
    )
    assert fetched.status_code == 200
    assert fetched.json() == summary


async def test_a_long_conversation_is_summarised_by_map_reduce_in_a_job(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream, small: str
) -> None:
    texts = [long_text(i) for i in range(12)]
    conversation_id, stored = await conversation_with(client, admin, texts)
    upstream.set_default(Reply(text="A partial summary.", usage=(100, 5)))
    response = await client.post(
        f"/v1/conversations/{conversation_id}/summarize", headers=admin.headers
    )
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["status"] == "queued"
    job = await wait_for_job(client, admin, started["job_id"])
    assert job["status"] == "succeeded", job
    assert job["kind"] == "conversation.summarize"
    assert job["result"]["covers_until_message_id"] == stored[-1]["id"]

    requests = [r.body for r in upstream.requests]
    budget = SMALL_WINDOW - output_reserve(SMALL_WINDOW, None)
    assert all(prompt_tokens(body) <= budget for body in requests)
    maps, merges = requests[:-1], requests[-1:]
    assert len(maps) >= 3, "the transcript should need several chunks"
    # Every message went to exactly one chunk, whole; each chunk is a run of consecutive
    # messages (the map calls run concurrently, so they may arrive in any order).
    for text in texts:
        assert sum(text in prompt_text(body) for body in maps) == 1
    maps.sort(key=lambda body: min(i for i, t in enumerate(texts) if t in prompt_text(body)))
    owners = [next(i for i, b in enumerate(maps) if t in prompt_text(b)) for t in texts]
    assert owners == sorted(owners)
    # The last call merges one partial summary per chunk, and no message text.
    merged = prompt_text(merges[0])
    assert merged.count("A partial summary.") == len(maps)
    assert not any(text in merged for text in texts)

    summary = (
        await client.get(f"/v1/conversations/{conversation_id}/summary", headers=admin.headers)
    ).json()
    assert summary["text"] == "A partial summary."
    assert summary["usage"]["prompt_tokens"] == 100 * len(requests)
    assert summary["usage"]["completion_tokens"] == 5 * len(requests)


async def test_a_later_summary_starts_from_the_previous_one_and_sends_only_new_messages(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream, small: str
) -> None:
    old = ["My name is Ada.", "I live in Lisbon."]
    conversation_id, _ = await conversation_with(client, admin, old)
    upstream.enqueue(Reply(text="Ada lives in Lisbon."), Reply(text="Ada, Lisbon, has a cat."))
    first = await client.post(
        f"/v1/conversations/{conversation_id}/summarize", headers=admin.headers
    )
    assert first.status_code == 200
    new = await add_messages(client, admin, conversation_id, ["I have a cat called Turing."])
    second = await client.post(
        f"/v1/conversations/{conversation_id}/summarize", headers=admin.headers
    )
    assert second.status_code == 200, second.text
    assert second.json()["text"] == "Ada, Lisbon, has a cat."
    assert second.json()["covers_until_message_id"] == new[-1]["id"]
    sent = prompt_text(upstream.requests[-1].body)
    assert "Ada lives in Lisbon." in sent and "I have a cat called Turing." in sent
    assert not any(text in sent for text in old)
    # Nothing new since: the latest summary comes back without a model call.
    again = await client.post(
        f"/v1/conversations/{conversation_id}/summarize", headers=admin.headers
    )
    assert again.status_code == 200 and again.json() == second.json()
    assert len(upstream.requests) == 2


async def test_a_failing_summary_job_is_retried_then_fails_with_the_error(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream, small: str
) -> None:
    conversation_id, _ = await conversation_with(client, admin, [long_text(i) for i in range(12)])
    upstream.set_default(Fail(400, body={"error": {"message": "no summaries today"}}))
    response = await client.post(
        f"/v1/conversations/{conversation_id}/summarize", headers=admin.headers
    )
    assert response.status_code == 202
    job = await wait_for_job(client, admin, response.json()["job_id"])
    assert job["status"] == "failed"
    assert job["attempts"] == 3
    assert "ProviderRejected" in job["error"]
    assert job["finished_at"] is not None
    missing = await client.get(
        f"/v1/conversations/{conversation_id}/summary", headers=admin.headers
    )
    assert missing.status_code == 404


async def test_another_users_job_and_summary_are_404(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream, small: str
) -> None:
    mallory = await sign_up(client, "mallory")
    conversation_id, _ = await conversation_with(client, admin, ["A secret plan."])
    assert (
        await client.post(f"/v1/conversations/{conversation_id}/summarize", headers=admin.headers)
    ).status_code == 200
    conversation_id2, _ = await conversation_with(client, admin, [long_text(i) for i in range(12)])
    started = await client.post(
        f"/v1/conversations/{conversation_id2}/summarize", headers=admin.headers
    )
    job_id = started.json()["job_id"]
    for path in (
        f"/v1/jobs/{job_id}",
        f"/v1/conversations/{conversation_id}/summary",
    ):
        response = await client.get(path, headers=mallory.headers)
        assert response.status_code == 404, path
    foreign = await client.post(
        f"/v1/conversations/{conversation_id}/summarize", headers=mallory.headers
    )
    assert foreign.status_code == 404
    assert (await client.get(f"/v1/jobs/{job_id}", headers=admin.headers)).status_code == 200


async def test_summarising_an_empty_conversation_is_422(
    client: httpx.AsyncClient, admin: SignedIn, small: str
) -> None:
    conversation_id, _ = await conversation_with(client, admin, [])
    response = await client.post(
        f"/v1/conversations/{conversation_id}/summarize", headers=admin.headers
    )
    assert response.status_code == 422


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
