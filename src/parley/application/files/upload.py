"""Uploading a file: streamed into the blob store, measured, hashed and sniffed on the way.

Nothing is held in memory but the chunk in flight (and the text of a text file, capped).
The row is written only after the bytes are stored; if anything fails — too large, over
quota, a refused type, a request cut off, a database error — the bytes are deleted, so a
failed upload leaves neither bytes nor rows."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from parley.application.files.sniffing import ContentInspector, normalize_declared_type
from parley.application.ports.clock import Clock
from parley.application.ports.files import BlobStore, TextExtractor
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import (
    FieldError,
    PayloadTooLarge,
    StorageQuotaExceeded,
    ValidationFailed,
)
from parley.domain.files import DOCUMENT_TYPES, FileText, StoredFile, display_name
from parley.domain.identity import Principal
from parley.domain.users import Tier

#: Bytes a multipart request may spend on framing (boundaries, part headers) beyond the file.
MULTIPART_OVERHEAD_BYTES = 16 * 1024
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StorageLimits:
    max_file_bytes: int
    quota_bytes: Mapping[Tier, int]
    max_text_chars: int = 1_000_000

    def quota_for(self, tier: Tier) -> int:
        return self.quota_bytes.get(tier, 0)


class UploadSource(Protocol):
    """An upload as the HTTP layer receives it, read lazily."""

    @property
    def declared_length(self) -> int | None:
        """The request's announced length (framing included), if any; it may lie."""
        ...

    async def open(self) -> tuple[str | None, str | None]:
        """Read up to the start of the file's bytes; return the declared file name and
        media type. Raises `ValidationFailed` when the request carries no file."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive. Raises `ValidationFailed` when the request ends
        before the file does."""
        ...


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB" if size % MIB else f"{size // MIB} MiB"


class UploadFile:
    """Stores one file for the caller. Raises `PayloadTooLarge` as soon as the file (or the
    announced request) exceeds the size limit, `StorageQuotaExceeded` as soon as it would
    exceed the caller's quota, `UnsupportedMediaType` for a type outside the allow-list (or
    bytes that contradict the declared type), `ValidationFailed` for a request without a
    file, an empty file, or one cut off."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        blobs: BlobStore,
        extractor: TextExtractor,
        limits: StorageLimits,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._blobs = blobs
        self._extractor = extractor
        self._limits = limits
        self._clock = clock

    async def __call__(self, principal: Principal, source: UploadSource) -> StoredFile:
        limit = self._limits.max_file_bytes
        quota = self._limits.quota_for(principal.tier)
        async with self._uow_factory() as uow:
            room = quota - await uow.files.bytes_used(principal.user_id)
        announced = source.declared_length
        if announced is not None and announced > limit + MULTIPART_OVERHEAD_BYTES:
            raise self._too_large()
        if room <= 0 or (announced is not None and announced > room + MULTIPART_OVERHEAD_BYTES):
            raise self._over_quota(quota)

        raw_name, raw_type = await source.open()
        declared = normalize_declared_type(raw_type)
        filename = display_name(raw_name)
        inspector = ContentInspector(self._limits.max_text_chars)
        digest = hashlib.sha256()
        size = 0

        async def metered() -> AsyncIterator[bytes]:
            nonlocal size
            async for chunk in source.chunks():
                size += len(chunk)
                if size > limit:
                    raise self._too_large()
                if size > room:
                    raise self._over_quota(quota)
                inspector.feed(chunk)
                digest.update(chunk)
                yield chunk

        file_id = uuid.uuid4()
        key = file_id.hex
        await self._blobs.put(key, metered())
        try:
            if size == 0:
                message = "The file is empty."
                raise ValidationFailed([FieldError(("body", "file"), message)], message)
            stored = StoredFile(
                id=file_id,
                user_id=principal.user_id,
                filename=filename,
                content_type=inspector.content_type(declared, filename),
                size=size,
                sha256=digest.hexdigest(),
                created_at=self._clock.now(),
            )
            text = await self._text_of(stored, inspector)
            async with self._uow_factory() as uow:
                # Checked again in the transaction: another upload may have finished meanwhile.
                if await uow.files.bytes_used(principal.user_id) + size > quota:
                    raise self._over_quota(quota)
                await uow.files.add(stored, text)
                await uow.commit()
        except BaseException:
            await _delete_even_if_cancelled(self._blobs, key)
            raise
        return stored

    async def _text_of(self, file: StoredFile, inspector: ContentInspector) -> FileText | None:
        if inspector.text is not None:
            return FileText(file.id, inspector.text, inspector.text_truncated)
        if file.content_type not in DOCUMENT_TYPES:
            return None
        data = bytearray()
        async for chunk in await self._blobs.open(file.storage_key):
            data += chunk
        try:
            text, truncated = await asyncio.to_thread(
                self._extractor.extract, bytes(data), self._limits.max_text_chars
            )
        except ValueError:
            return None  # an unreadable PDF is still stored; it just adds no text to chats
        return FileText(file.id, text, truncated)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"Files may be at most {_mib(self._limits.max_file_bytes)}.")

    @staticmethod
    def _over_quota(quota: int) -> StorageQuotaExceeded:
        return StorageQuotaExceeded(
            f"This upload would exceed your storage quota of {_mib(quota)}; delete files "
            "to make room."
        )


async def _delete_even_if_cancelled(blobs: BlobStore, key: str) -> None:
    task = asyncio.ensure_future(blobs.delete(key))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise
