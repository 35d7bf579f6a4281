"""`/v1/files` through the real app (SQLite and PostgreSQL): uploads, downloads, deletes,
limits enforced while the bytes stream in, type sniffing, hostile names, ownership."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from parley.settings import Settings
from tests.conftest import make_settings, serve_app
from tests.support.files import upload, uploaded
from tests.support.pdf import pdf_with_text
from tests.support.users import SignedIn, sign_up

KIB = 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
BOUNDARY = "parley-test-boundary"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(
        tmp_path,
        database_url,
        max_upload_bytes=64 * KIB,
        storage_quota_free_bytes=100 * KIB,
    )


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "alice")


def stored_objects(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "files").rglob("*") if p.is_file()]


async def test_upload_list_get_download_delete(
    client: httpx.AsyncClient, alice: SignedIn, tmp_path: Path
) -> None:
    content = "Grüße, Parley\nline two\n".encode()
    created = await uploaded(client, alice, "notes.txt", content, "text/plain")
    assert created == {
        "id": created["id"],
        "filename": "notes.txt",
        "content_type": "text/plain",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "created_at": created["created_at"],
    }
    second = await uploaded(client, alice, "data.csv", b"a,b\n1,2\n", "text/csv")
    listed = (await client.get("/v1/files", headers=alice.headers)).json()
    assert [item["id"] for item in listed["items"]] == [second["id"], created["id"]]
    page = (await client.get("/v1/files?limit=1", headers=alice.headers)).json()
    assert [item["id"] for item in page["items"]] == [second["id"]]
    rest = await client.get(
        f"/v1/files?limit=1&cursor={page['next_cursor']}", headers=alice.headers
    )
    assert [item["id"] for item in rest.json()["items"]] == [created["id"]]
    assert rest.json()["next_cursor"] is None

    got = await client.get(f"/v1/files/{created['id']}", headers=alice.headers)
    assert got.json() == created
    download = await client.get(f"/v1/files/{created['id']}/content", headers=alice.headers)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "text/plain; charset=utf-8"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
    )
    assert len(stored_objects(tmp_path)) == 2

    deleted = await client.delete(f"/v1/files/{created['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    assert (
        await client.get(f"/v1/files/{created['id']}", headers=alice.headers)
    ).status_code == 404
    gone = await client.get(f"/v1/files/{created['id']}/content", headers=alice.headers)
    assert gone.status_code == 404
    assert [p.name for p in stored_objects(tmp_path)] == [second["id"].replace("-", "")]


@pytest.mark.parametrize(
    ("raw_name", "shown", "disposition"),
    [
        ("../../etc/passwd", "passwd", "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"),
        (
            "..\\..\\windows\\win.ini",
            "win.ini",
            "attachment; filename=\"win.ini\"; filename*=UTF-8''win.ini",
        ),
        ("..", "file", "attachment; filename=\"file\"; filename*=UTF-8''file"),
        (
            "résumé; 1.txt",  # non-ASCII and a separator
            "résumé; 1.txt",
            "attachment; filename=\"r_sum__ 1.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%3B%201.txt",
        ),
    ],
)
async def test_hostile_names_never_reach_the_file_system_or_headers(
    client: httpx.AsyncClient,
    alice: SignedIn,
    tmp_path: Path,
    raw_name: str,
    shown: str,
    disposition: str,
) -> None:
    created = await uploaded(client, alice, raw_name, b"harmless")
    assert created["filename"] == shown
    [stored] = stored_objects(tmp_path)
    assert stored.name == created["id"].replace("-", "")
    assert stored.resolve().is_relative_to((tmp_path / "files").resolve())
    download = await client.get(f"/v1/files/{created['id']}/content", headers=alice.headers)
    assert download.headers["content-disposition"] == disposition


@pytest.mark.parametrize(
    ("filename", "content", "declared", "expected"),
    [
        ("a.png", PNG, "image/png", "image/png"),
        ("a.bin", PNG, "application/octet-stream", "image/png"),
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg", "image/jpeg"),
        ("a.gif", b"GIF89a" + b"\x00" * 20, "image/gif", "image/gif"),
        ("a.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8, "image/webp", "image/webp"),
        ("doc.pdf", pdf_with_text("hello"), "application/pdf", "application/pdf"),
        ("readme.md", b"# Title\n", "application/octet-stream", "text/markdown"),
        ("readme.md", b"# Title\n", "text/x-markdown", "text/markdown"),
        ("d.json", b'{"a": 1}', "application/json", "application/json"),
        ("tiny.txt", b"hi", "text/plain", "text/plain"),
    ],
)
async def test_accepted_types_are_what_the_bytes_prove(
    client: httpx.AsyncClient,
    alice: SignedIn,
    filename: str,
    content: bytes,
    declared: str,
    expected: str,
) -> None:
    created = await uploaded(client, alice, filename, content, declared)
    assert created["content_type"] == expected


@pytest.mark.parametrize(
    ("filename", "content", "declared"),
    [
        ("evil.png", b"<script>alert(1)</script>", "image/png"),  # text pretending to be PNG
        ("evil.txt", PNG, "text/plain"),  # a PNG pretending to be text
        ("page.html", b"<html></html>", "text/html"),  # not on the allow-list
        (
            "app.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
            "application/octet-stream",
        ),
        ("latin1.txt", "café".encode("latin-1"), "text/plain"),  # not UTF-8
        ("nul.txt", b"abc\x00def" * 4, "text/plain"),
        ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    ],
)
async def test_refused_types_are_415_and_leave_nothing(
    client: httpx.AsyncClient,
    alice: SignedIn,
    tmp_path: Path,
    filename: str,
    content: bytes,
    declared: str,
) -> None:
    response = await upload(client, alice, filename, content, declared)
    assert response.status_code == 415, response.text
    assert response.json()["type"] == "urn:parley:problem:unsupported-media-type"
    assert stored_objects(tmp_path) == []
    assert (await client.get("/v1/files", headers=alice.headers)).json()["items"] == []


class Endless:
    """A multipart body whose file never ends; counts what the server pulled."""

    def __init__(self, chunk: int = 8 * KIB) -> None:
        self.chunk = chunk
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        yield head
        while self.sent < 1024 * 1024 * 1024:  # a gibibyte, if nobody stopped reading
            self.sent += self.chunk
            yield b"a" * self.chunk


def multipart_headers(who: SignedIn, **extra: str) -> dict[str, str]:
    return {
        **who.headers,
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        **extra,
    }


async def test_oversize_without_content_length_is_413_as_soon_as_it_is_exceeded(
    client: httpx.AsyncClient, alice: SignedIn, tmp_path: Path
) -> None:
    body = Endless()
    response = await client.post(
        "/v1/files", headers=multipart_headers(alice), content=body.__aiter__()
    )
    assert response.status_code == 413
    assert response.json()["type"] == "urn:parley:problem:payload-too-large"
    # Read up to the limit (64 KiB) and one chunk past it, not the gibibyte on offer.
    assert body.sent <= 64 * KIB + 2 * body.chunk
    assert stored_objects(tmp_path) == []
    assert (await client.get("/v1/files", headers=alice.headers)).json()["items"] == []


async def test_a_lying_content_length_does_not_help(
    client: httpx.AsyncClient, alice: SignedIn, tmp_path: Path
) -> None:
    body = Endless()
    response = await client.post(
        "/v1/files",
        headers=multipart_headers(alice, **{"Content-Length": "1000"}),
        content=body.__aiter__(),
    )
    assert response.status_code == 413
    assert body.sent <= 64 * KIB + 2 * body.chunk
    assert stored_objects(tmp_path) == []


async def test_an_announced_oversize_is_refused_before_the_body_is_read(
    client: httpx.AsyncClient, alice: SignedIn
) -> None:
    body = Endless()
    response = await client.post(
        "/v1/files",
        headers=multipart_headers(alice, **{"Content-Length": str(10 * 1024 * 1024)}),
        content=body.__aiter__(),
    )
    assert response.status_code == 413
    assert body.sent == 0


async def test_an_upload_cut_off_midway_stores_nothing(
    client: httpx.AsyncClient, alice: SignedIn, tmp_path: Path
) -> None:
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="half.txt"\r\nContent-Type: text/plain\r\n\r\nthe first half only'
    ).encode()
    response = await client.post("/v1/files", headers=multipart_headers(alice), content=body)
    assert response.status_code == 422
    assert stored_objects(tmp_path) == []
    assert (await client.get("/v1/files", headers=alice.headers)).json()["items"] == []
    no_file = await client.post("/v1/files", headers=alice.headers, data={"other": "x"})
    assert no_file.status_code in (415, 422)
    empty = await upload(client, alice, "empty.txt", b"")
    assert empty.status_code == 422
    assert stored_objects(tmp_path) == []


async def test_quota_per_tier_counts_stored_bytes_and_frees_on_delete(
    client: httpx.AsyncClient, alice: SignedIn, tmp_path: Path
) -> None:
    first = await uploaded(client, alice, "a.txt", b"a" * 60 * KIB)
    refused = await upload(client, alice, "b.txt", b"b" * 60 * KIB)
    assert refused.status_code == 413
    assert refused.json()["type"] == "urn:parley:problem:storage-quota-exceeded"
    assert len(stored_objects(tmp_path)) == 1
    # Someone else's usage is theirs alone.
    bob = await sign_up(client, "bob")
    await uploaded(client, bob, "b.txt", b"b" * 60 * KIB)
    await client.delete(f"/v1/files/{first['id']}", headers=alice.headers)
    await uploaded(client, alice, "b.txt", b"b" * 60 * KIB)


async def test_another_users_file_is_404_everywhere(
    client: httpx.AsyncClient, alice: SignedIn
) -> None:
    mine = await uploaded(client, alice, "secret.txt", b"alice's secret")
    mallory = await sign_up(client, "mallory")
    for path in (f"/v1/files/{mine['id']}", f"/v1/files/{mine['id']}/content"):
        assert (await client.get(path, headers=mallory.headers)).status_code == 404
    assert (
        await client.delete(f"/v1/files/{mine['id']}", headers=mallory.headers)
    ).status_code == 404
    assert (await client.get("/v1/files", headers=mallory.headers)).json()["items"] == []

    conversation = (
        await client.post("/v1/conversations", headers=mallory.headers, json={"title": "t"})
    ).json()
    posted = await client.post(
        f"/v1/conversations/{conversation['id']}/messages",
        headers=mallory.headers,
        json={"content": "what does it say?", "file_ids": [mine["id"]]},
    )
    assert posted.status_code == 404
    streamed = await client.post(
        "/v2/chat/stream",
        headers=mallory.headers,
        json={"message": "what does it say?", "file_ids": [mine["id"]]},
    )
    assert streamed.status_code == 404
    listed = (await client.get("/v1/conversations", headers=mallory.headers)).json()["items"]
    assert [c["id"] for c in listed] == [conversation["id"]]  # the refused turn created none
    messages = await client.get(
        f"/v1/conversations/{conversation['id']}/messages", headers=mallory.headers
    )
    assert messages.json()["items"] == []
    # The owner's file is untouched.
    download = await client.get(f"/v1/files/{mine['id']}/content", headers=alice.headers)
    assert download.content == b"alice's secret"


async def test_files_need_authentication(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/files")).status_code == 401
    response = await client.post("/v1/files", files={"file": ("a.txt", b"x", "text/plain")})
    assert response.status_code == 401


async def test_default_limit_applies_without_overrides(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, max_upload_bytes=10)
    async with serve_app(settings) as (client, _):
        who = await sign_up(client, "carol")
        assert (await upload(client, who, "a.txt", b"0123456789")).status_code == 201
        assert (await upload(client, who, "b.txt", b"0123456789a")).status_code == 413
