"""Uploaded files as chat context: the scripted upstream receives the document's text (cut
to the window with a note) and images; the S3 backend serves the same API."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings, serve_app
from tests.support.files import uploaded
from tests.support.models import add_model
from tests.support.pdf import pdf_with_text
from tests.support.s3 import REGION, S3Server
from tests.support.scripted_upstream import Reply, ScriptedUpstream
from tests.support.sse import parse_events
from tests.support.users import SignedIn, sign_up

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "root")


async def turn(client: httpx.AsyncClient, who: SignedIn, **body: Any) -> list[Any]:
    response = await client.post("/v2/chat/stream", headers=who.headers, json=body)
    assert response.status_code == 200, response.text
    events = parse_events(response.text)
    assert events[-1].name == "done", events[-1]
    return events


async def test_a_chat_uses_an_uploaded_documents_text(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    pdf = await uploaded(
        client,
        admin,
        "report.pdf",
        pdf_with_text("Quarterly revenue was 42 zorkmids.", "Costs were flat."),
        "application/pdf",
    )
    notes = await uploaded(client, admin, "notes.md", b"# Notes\nThe launch is on Tuesday.")
    upstream.enqueue(Reply(text="It says 42."), Reply(text="Tuesday."))
    first = await turn(
        client,
        admin,
        message="What was the revenue?",
        model="scripted",
        file_ids=[pdf["id"], notes["id"]],
    )
    assert first[1].data["file_ids"] == [pdf["id"], notes["id"]]
    sent = upstream.requests[-1].body["messages"]
    assert sent[-1]["role"] == "user"
    content = sent[-1]["content"]
    assert "Attached file report.pdf:\nQuarterly revenue was 42 zorkmids." in content
    assert "Costs were flat." in content
    assert "Attached file notes.md:\n# Notes\nThe launch is on Tuesday." in content
    assert content.endswith("What was the revenue?")

    # The next turn still carries the document, as part of that earlier message.
    await turn(
        client,
        admin,
        message="And the launch?",
        model="scripted",
        conversation_id=first[0].data["id"],
    )
    history = upstream.requests[-1].body["messages"]
    assert "42 zorkmids" in history[0]["content"]
    assert history[-1] == {"role": "user", "content": "And the launch?"}


async def test_a_document_too_long_for_the_window_is_cut_with_a_note(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "small", upstream.openai_base_url, context_window=2048)
    words = " ".join(f"word{index}" for index in range(20_000))
    long = await uploaded(client, admin, "long.txt", words.encode())
    upstream.enqueue(Reply(text="ok"))
    await turn(client, admin, message="Summarise", model="small", file_ids=[long["id"]])
    content = upstream.requests[-1].body["messages"][-1]["content"]
    assert content.startswith("Attached file long.txt:\nword0 word1")
    assert "[… long.txt was cut here to fit the model's context window.]" in content
    assert "word19999" not in content
    assert content.endswith("Summarise")
    assert len(content) < 2048 * 4


async def test_images_go_to_providers_that_accept_them(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "vision", upstream.openai_base_url)
    image = await uploaded(client, admin, "cat.png", PNG, "image/png")
    upstream.enqueue(Reply(text="A cat."))
    await turn(client, admin, message="What is this?", model="vision", file_ids=[image["id"]])
    content = upstream.requests[-1].body["messages"][-1]["content"]
    assert isinstance(content, list)
    urls = [part["image_url"]["url"] for part in content if part["type"] == "image_url"]
    assert urls == [f"data:image/png;base64,{base64.b64encode(PNG).decode()}"]
    texts = " ".join(part["text"] for part in content if part["type"] == "text")
    assert "What is this?" in texts


async def test_a_deleted_file_becomes_a_note_in_later_turns(
    client: httpx.AsyncClient, admin: SignedIn, upstream: ScriptedUpstream
) -> None:
    await add_model(client, admin, "scripted", upstream.openai_base_url)
    doc = await uploaded(client, admin, "gone.txt", b"temporary secret")
    upstream.enqueue(Reply(text="seen"), Reply(text="ok"))
    first = await turn(client, admin, message="read", model="scripted", file_ids=[doc["id"]])
    await client.delete(f"/v1/files/{doc['id']}", headers=admin.headers)
    await turn(
        client, admin, message="again", model="scripted", conversation_id=first[0].data["id"]
    )
    history = upstream.requests[-1].body["messages"]
    assert "temporary secret" not in str(history)
    assert "[An attached file is no longer available.]" in history[0]["content"]


async def test_the_s3_backend_serves_the_files_api(
    tmp_path: Path, sqlite_url: str, s3: S3Server
) -> None:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        storage="s3",
        s3_bucket=s3.bucket,
        s3_endpoint_url=s3.endpoint_url,
        s3_region=REGION,
    )
    async with serve_app(settings) as (client, _):
        who = await sign_up(client, "dana")
        created = await uploaded(client, who, "../s3.txt", b"in the bucket")
        assert created["filename"] == "s3.txt"
        key = "files/" + created["id"].replace("-", "")
        assert s3.keys() == [key]
        download = await client.get(f"/v1/files/{created['id']}/content", headers=who.headers)
        assert download.content == b"in the bucket"
        assert download.headers["x-content-type-options"] == "nosniff"
        refused = await client.post(
            "/v1/files",
            headers=who.headers,
            files={"file": ("x.png", b"not a png at all", "image/png")},
        )
        assert refused.status_code == 415
        assert s3.keys() == [key]
        assert (
            await client.delete(f"/v1/files/{created['id']}", headers=who.headers)
        ).status_code == 204
        assert s3.keys() == []
    assert not (tmp_path / "files").exists()
