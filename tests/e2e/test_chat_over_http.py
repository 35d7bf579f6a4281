"""A real `parley serve`: the sync `openai` SDK, and a client that hangs up mid-stream."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import TEST_SECRET
from tests.support.scripted_upstream import Reply, ScriptedUpstream
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
PASSWORD = "a perfectly fine passphrase"


@pytest.fixture
def upstream() -> Iterator[ScriptedUpstream]:
    server = ScriptedUpstream()
    server.start_in_thread()
    yield server
    server.stop()


@pytest.fixture
def parley(tmp_path: Path) -> Iterator[ServerProcess]:
    env = {
        "PARLEY_SECRET_KEY": TEST_SECRET,
        "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
    }
    with ServerProcess(env, tmp_path) as server:
        server.database = tmp_path / "e2e.db"  # type: ignore[attr-defined]
        yield server


def admin_headers(base_url: str) -> dict[str, str]:
    httpx.post(
        f"{base_url}/v1/auth/register",
        json={"email": "root@example.com", "username": "root", "password": PASSWORD},
    ).raise_for_status()
    token = httpx.post(
        f"{base_url}/v1/auth/login", json={"login": "root", "password": PASSWORD}
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_sync_openai_sdk_against_a_running_server(parley: ServerProcess) -> None:
    headers = admin_headers(parley.base_url)
    key = httpx.post(
        f"{parley.base_url}/v1/api-keys", headers=headers, json={"name": "sdk"}
    ).json()["key"]
    client = openai.OpenAI(base_url=f"{parley.base_url}/v1", api_key=key, max_retries=0)
    assert "echo" in [m.id for m in client.models.list().data]
    completion = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "ping"}]
    )
    assert "ping" in (completion.choices[0].message.content or "")
    streamed = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "stream me"}], stream=True
    )
    assert "stream me" in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(
            base_url=f"{parley.base_url}/v1", api_key="pk-nope", max_retries=0
        ).models.list()


def test_client_disconnect_cancels_the_upstream_and_keeps_the_partial_reply(
    parley: ServerProcess, upstream: ScriptedUpstream
) -> None:
    headers = admin_headers(parley.base_url)
    httpx.post(
        f"{parley.base_url}/v1/admin/models",
        headers=headers,
        json={
            "name": "slow",
            "provider": "openai",
            "upstream_model": "scripted-model",
            "base_url": upstream.openai_base_url,
            "context_window": 8192,
            "tiers": ["free", "pro", "enterprise"],
        },
    ).raise_for_status()
    upstream.enqueue(Reply(text="one two three four five six seven eight", chunks=8, chunk_gap=0.3))
    conversation_id = None
    received = ""
    with httpx.stream(
        "POST",
        f"{parley.base_url}/v2/chat/stream",
        headers=headers,
        json={"message": "talk slowly", "model": "slow"},
        timeout=10,
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data: ") and '"created"' in line:
                conversation_id = httpx.Response(200, content=line[6:]).json()["id"]
            if line.startswith("data: ") and '"text"' in line:
                received += httpx.Response(200, content=line[6:]).json()["text"]
                if len(received.split()) >= 2:
                    break  # hang up mid-stream
    hung_up = time.monotonic()
    disconnected = upstream.wait_client_disconnect_blocking(timeout=5)
    assert disconnected is not None, "the upstream never saw the connection close"
    assert disconnected.client_disconnected_at is not None
    assert disconnected.client_disconnected_at - hung_up < 1.0
    deadline = time.monotonic() + 5
    while True:
        messages = httpx.get(
            f"{parley.base_url}/v1/conversations/{conversation_id}/messages", headers=headers
        ).json()["items"]
        if len(messages) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "incomplete"),
    ]
    assert messages[1]["content"].startswith(received.strip().split()[0])
    assert len(messages[1]["content"].split()) < 8
    # The abandoned turn is accounted: one usage record, cancelled, with estimated tokens.
    deadline = time.monotonic() + 5
    rows: list[tuple[str, str, int]] = []
    while time.monotonic() < deadline and not rows:
        with sqlite3.connect(parley.database) as connection:
            rows = connection.execute(
                "SELECT endpoint, status, completion_tokens FROM usage_logs "
                "WHERE requested_model = 'slow'"
            ).fetchall()
        time.sleep(0.1)
    assert len(rows) == 1
    endpoint, status, completion_tokens = rows[0]
    assert (endpoint, status) == ("chat.stream", "cancelled") and completion_tokens > 0
