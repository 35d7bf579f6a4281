"""Listing, reading, downloading and deleting one's own files. Anyone else's file is
`NotFound`, whatever the verb."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from parley.application.conversations.conversations import DEFAULT_PAGE_SIZE, clamp_limit
from parley.application.files.access import FileAccess
from parley.application.pagination import Keyset, Page, decode_cursor, page_of
from parley.application.ports.files import BlobStore
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.files import StoredFile
from parley.domain.identity import Principal


def file_keyset(file: StoredFile) -> Keyset:
    return Keyset(file.created_at, file.id)


class ListFiles:
    """The caller's files, newest first, a page at a time. Raises `ValidationFailed` for a
    cursor not made by this listing."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(
        self, principal: Principal, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> Page[StoredFile]:
        after = decode_cursor(cursor)
        limit = clamp_limit(limit)
        async with self._uow_factory() as uow:
            rows = await uow.files.newest_first(principal.user_id, limit + 1, after)
        return page_of(rows, limit, file_keyset)


class GetFile:
    """A file's metadata. Raises `NotFound` unless the caller owns it."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal, file_id: uuid.UUID) -> StoredFile:
        async with self._uow_factory() as uow:
            return await FileAccess.owned(uow, principal.user_id, file_id)


@dataclass(frozen=True, slots=True)
class Download:
    file: StoredFile
    chunks: AsyncIterator[bytes]


class DownloadFile:
    """A file's metadata and its bytes, streamed. Raises `NotFound` unless the caller owns
    it (and its bytes exist)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, blobs: BlobStore) -> None:
        self._uow_factory = uow_factory
        self._blobs = blobs

    async def __call__(self, principal: Principal, file_id: uuid.UUID) -> Download:
        async with self._uow_factory() as uow:
            file = await FileAccess.owned(uow, principal.user_id, file_id)
        return Download(file, await self._blobs.open(file.storage_key))


class DeleteFile:
    """Deletes the file's bytes and its row. Messages that named it keep the id; chats then
    skip it. Raises `NotFound` unless the caller owns it.

    The bytes go first, inside the transaction that deletes the row: if the blob store
    fails, the row stays (and the caller may retry) rather than pointing at nothing."""

    def __init__(self, uow_factory: UnitOfWorkFactory, blobs: BlobStore) -> None:
        self._uow_factory = uow_factory
        self._blobs = blobs

    async def __call__(self, principal: Principal, file_id: uuid.UUID) -> None:
        async with self._uow_factory() as uow:
            file = await FileAccess.owned(uow, principal.user_id, file_id)
            await uow.files.delete(file.id)
            await self._blobs.delete(file.storage_key)
            await uow.commit()
