"""`LocalBlobStore`: file bytes in a directory under the data dir (the embedded default).

Objects are written to a temporary file beside their final place and renamed into it only
when complete, so a half-written object is never visible, and a failed write deletes its
temporary file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO

from parley.adapters.storage.keys import checked_key
from parley.domain.errors import NotFound

READ_CHUNK_BYTES = 64 * 1024


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._incoming = root / ".incoming"

    def _path(self, key: str) -> Path:
        key = checked_key(key)
        return self._root / key[:2] / key

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        final = self._path(key)
        await asyncio.to_thread(self._incoming.mkdir, parents=True, exist_ok=True)
        partial = self._incoming / f"{key}.{uuid.uuid4().hex}.part"
        handle = await asyncio.to_thread(partial.open, "xb")
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(_flush_and_close, handle)
            await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(os.replace, partial, final)
        except BaseException:
            # Synchronous on purpose: this also runs when the task is being cancelled.
            handle.close()
            partial.unlink(missing_ok=True)
            raise

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as error:
            raise NotFound("The file's content is missing.") from error
        return _read(handle)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


def _flush_and_close(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


async def _read(handle: BinaryIO) -> AsyncIterator[bytes]:
    with contextlib.closing(handle):
        while chunk := await asyncio.to_thread(handle.read, READ_CHUNK_BYTES):
            yield chunk
