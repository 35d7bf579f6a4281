"""The upload use case, the content sniffer, file names and attachment rendering, against
in-memory fakes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator

import pytest

from parley.application.chat.context_window import fit_history
from parley.application.files.context import Attachments, truncate_to_tokens
from parley.application.files.sniffing import ContentInspector
from parley.application.files.upload import StorageLimits, UploadFile
from parley.application.tokens import estimate_tokens
from parley.domain.conversations import Message, MessageRole, MessageStatus
from parley.domain.errors import (
    NotFound,
    PayloadTooLarge,
    StorageQuotaExceeded,
    UnsupportedMediaType,
    ValidationFailed,
)
from parley.domain.files import FileText, StoredFile, display_name
from parley.domain.users import Tier
from tests.unit.fakes import T0, FakeClock, FakeDatabase, FakeUnitOfWorkFactory, principal


class MemoryBlobStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.largest_chunk_seen = 0

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        data = bytearray()
        async for chunk in chunks:
            self.largest_chunk_seen = max(self.largest_chunk_seen, len(chunk))
            data += chunk
        self.objects[key] = bytes(data)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        if key not in self.objects:
            raise NotFound()

        async def read() -> AsyncIterator[bytes]:
            yield self.objects[key]

        return read()

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)


class Source:
    def __init__(
        self,
        data: bytes,
        name: str = "a.txt",
        media_type: str | None = "text/plain",
        declared_length: int | None = None,
        chunk: int = 4,
    ) -> None:
        self.data = data
        self.name = name
        self.media_type = media_type
        self.declared_length = declared_length
        self.chunk = chunk
        self.pulled = 0

    async def open(self) -> tuple[str | None, str | None]:
        return self.name, self.media_type

    async def chunks(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.chunk):
            self.pulled += self.chunk
            yield self.data[start : start + self.chunk]


class NoPdf:
    def extract(self, data: bytes, max_chars: int) -> tuple[str, bool]:
        raise ValueError("unreadable")


def make_upload(database: FakeDatabase, blobs: MemoryBlobStore, **limits: int) -> UploadFile:
    storage = StorageLimits(
        max_file_bytes=limits.get("max_file_bytes", 100),
        quota_bytes={Tier.FREE: limits.get("quota", 1000)},
        max_text_chars=limits.get("max_text_chars", 1000),
    )
    return UploadFile(FakeUnitOfWorkFactory(database), blobs, NoPdf(), storage, FakeClock())


async def test_upload_stores_bytes_row_and_text() -> None:
    database, blobs, alice = FakeDatabase(), MemoryBlobStore(), principal()
    stored = await make_upload(database, blobs)(
        alice, Source(b"hello world", "../x/notes.md", None)
    )
    assert stored.filename == "notes.md" and stored.content_type == "text/markdown"
    assert blobs.objects == {stored.id.hex: b"hello world"}
    assert database.files[stored.id] == stored
    assert database.file_texts[stored.id] == FileText(stored.id, "hello world", False)
    assert blobs.largest_chunk_seen == 4  # streamed, never gathered first


async def test_too_large_stops_reading_and_keeps_nothing() -> None:
    database, blobs = FakeDatabase(), MemoryBlobStore()
    source = Source(b"x" * 10_000)
    with pytest.raises(PayloadTooLarge):
        await make_upload(database, blobs, max_file_bytes=100)(principal(), source)
    assert source.pulled <= 104
    assert blobs.objects == {} and database.files == {}


async def test_quota_is_checked_up_front_while_streaming_and_at_commit() -> None:
    database, blobs, alice = FakeDatabase(), MemoryBlobStore(), principal()
    upload = make_upload(database, blobs, quota=100)
    database.add_file(alice.user_id, size=90)
    with pytest.raises(StorageQuotaExceeded):
        await upload(alice, Source(b"y" * 20))
    database.add_file(alice.user_id, size=10)
    with pytest.raises(StorageQuotaExceeded):  # full: refused before reading
        await upload(alice, Source(b"z"))
    assert blobs.objects == {}


async def test_a_failing_commit_deletes_the_bytes() -> None:
    database, blobs, alice = FakeDatabase(), MemoryBlobStore(), principal()
    upload = make_upload(database, blobs)

    async def broken_add(*args: object) -> None:
        raise RuntimeError("database down")

    factory = upload._uow_factory

    class BrokenUow:
        def __init__(self) -> None:
            self.inner = factory()

        async def __aenter__(self) -> object:
            unit = await self.inner.__aenter__()
            unit.files.add = broken_add  # type: ignore[method-assign]
            return unit

        async def __aexit__(self, *exc: object) -> None:
            await self.inner.__aexit__(None, None, None)

    upload._uow_factory = BrokenUow  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        await upload(alice, Source(b"hello"))
    assert blobs.objects == {}


async def test_empty_and_unreadable_uploads() -> None:
    database, blobs = FakeDatabase(), MemoryBlobStore()
    with pytest.raises(ValidationFailed):
        await make_upload(database, blobs)(principal(), Source(b""))
    with pytest.raises(UnsupportedMediaType):
        await make_upload(database, blobs)(principal(), Source(b"x", media_type="text/html"))
    pdf = await make_upload(database, blobs)(
        principal(), Source(b"%PDF-1.4 broken", "a.pdf", "application/pdf")
    )
    assert pdf.content_type == "application/pdf" and pdf.id not in database.file_texts
    assert blobs.objects.keys() == {pdf.id.hex}


def test_inspector_refuses_binary_at_the_first_bad_byte_and_caps_text() -> None:
    inspector = ContentInspector(max_text_chars=10)
    inspector.feed(b"plain text here")
    with pytest.raises(UnsupportedMediaType):
        inspector.feed(b"\xff\xfe")
    capped = ContentInspector(max_text_chars=5)
    capped.feed("héllo wörld".encode())
    assert capped.content_type("", "x.csv") == "text/csv"
    assert (capped.text, capped.text_truncated) == ("héllo", True)
    split = ContentInspector(max_text_chars=100)
    for byte in "é€".encode():  # multi-byte characters split across chunks are fine
        split.feed(bytes([byte]))
    assert split.content_type("text/plain", "a.txt") == "text/plain" and split.text == "é€"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\a.txt", "a.txt"),
        ("a\x00b\r\nc\x7f.txt", "abc.txt"),
        ('say "hi".txt', "say hi.txt"),
        (".hidden", "hidden"),
        ("...", "file"),
        (None, "file"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_display_names(raw: str | None, shown: str) -> None:
    assert display_name(raw) == shown


def test_truncate_to_tokens_stays_within_the_budget() -> None:
    text = "word " * 5000 + "日本語" * 500
    for budget in (0, 1, 50, 1000, 3000):
        cut, truncated = truncate_to_tokens(text, budget)
        assert truncated and estimate_tokens(cut) <= budget
    assert truncate_to_tokens("short", 100) == ("short", False)


def test_attachments_render_into_the_message_and_fit_the_budget() -> None:
    file = StoredFile(uuid.uuid4(), uuid.uuid4(), "doc.txt", "text/plain", 1, "0" * 64, T0)
    text = FileText(file.id, "lorem ipsum " * 10_000, False)
    message = Message(
        uuid.uuid4(),
        uuid.uuid4(),
        MessageRole.USER,
        "question?",
        MessageStatus.COMPLETE,
        T0,
        file_ids=(file.id, uuid.uuid4()),
    )
    attachments = Attachments({file.id: file}, {file.id: text})
    [rendered] = fit_history(None, [message], 1000, attachments.render)
    assert rendered.content.startswith("Attached file doc.txt:\nlorem ipsum")
    assert "was cut here to fit" in rendered.content
    assert "[An attached file is no longer available.]" in rendered.content
    assert rendered.content.endswith("question?")
    assert estimate_tokens(rendered.content) < 1000
