"""Ports for uploaded files: their rows, their bytes, and the text inside documents."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Collection, Mapping, Sequence
from typing import Protocol
from uuid import UUID

from parley.application.pagination import Keyset
from parley.domain.files import FileText, StoredFile


class FileRepository(Protocol):
    async def add(self, file: StoredFile, text: FileText | None) -> None: ...

    async def get(self, file_id: UUID) -> StoredFile | None:
        """Whoever owns it: checking ownership is the caller's job (`FileAccess`)."""
        ...

    async def many(self, file_ids: Collection[UUID]) -> Sequence[StoredFile]:
        """Those of `file_ids` that exist, whoever owns them, in no particular order."""
        ...

    async def texts(self, file_ids: Collection[UUID]) -> Mapping[UUID, FileText]:
        """The extracted text of those of `file_ids` that have one."""
        ...

    async def newest_first(
        self, user_id: UUID, limit: int, after: Keyset | None = None
    ) -> Sequence[StoredFile]:
        """At most `limit` of the user's files, newest first (`created_at`, then `id`),
        starting after `after`."""
        ...

    async def bytes_used(self, user_id: UUID) -> int:
        """The total size of the user's files."""
        ...

    async def delete(self, file_id: UUID) -> None:
        """Remove the row and its extracted text."""
        ...


class BlobStore(Protocol):
    """Where file bytes live, under keys Parley generates (never a user's file name).

    Implementations must never hold a whole object in memory while writing or reading it."""

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Store everything `chunks` yields under `key`. If `chunks` raises (or the write
        fails, or the task is cancelled), the exception propagates and nothing is left
        behind under `key` or anywhere else."""
        ...

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The bytes under `key`, in chunks, read as they are consumed. Raises `NotFound`
        (here, before any chunk) when there is no such object."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; no error when it is already gone."""
        ...


class TextExtractor(Protocol):
    """Pulls readable text out of a document's bytes (PDF)."""

    def extract(self, data: bytes, max_chars: int) -> tuple[str, bool]:
        """At most `max_chars` of text and whether there was more. Blocking (call it in a
        thread); raises `ValueError` for a document it cannot read."""
        ...
