"""Both blob stores against the real thing: a directory, and an S3-compatible server (moto)
on loopback. Writes are all-or-nothing; reads stream; deletes are idempotent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from parley.adapters.storage.local import LocalBlobStore
from parley.adapters.storage.s3 import S3BlobStore
from parley.application.ports.files import BlobStore
from parley.domain.errors import NotFound
from tests.support.s3 import REGION, S3Server

MIB = 1024 * 1024


class Boom(Exception):
    pass


async def chunks_of(
    data: bytes, size: int = 64 * 1024, fail_after: int | None = None
) -> AsyncIterator[bytes]:
    sent = 0
    for start in range(0, len(data), size):
        if fail_after is not None and sent >= fail_after:
            raise Boom()
        chunk = data[start : start + size]
        sent += len(chunk)
        yield chunk


async def read_all(store: BlobStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in await store.open(key)])


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "files")
        return
    server: S3Server = request.getfixturevalue("s3")
    # The smallest part S3 accepts, so that a few MiB already take the multipart path.
    blob_store = S3BlobStore(
        server.bucket, endpoint_url=server.endpoint_url, region=REGION, part_bytes=5 * MIB
    )
    yield blob_store
    blob_store.close()


def leftovers(store: BlobStore, request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """Everything the store holds, including half-written objects and pending parts."""
    if isinstance(store, LocalBlobStore):
        return [
            str(p.relative_to(tmp_path)) for p in (tmp_path / "files").rglob("*") if p.is_file()
        ]
    server: S3Server = request.getfixturevalue("s3")
    return server.keys() + [u["Key"] for u in server.pending_multipart_uploads()]


@pytest.mark.parametrize("size", [10, 11 * MIB + 5])
async def test_put_open_delete_round_trip(store: BlobStore, size: int) -> None:
    key = uuid.uuid4().hex
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    await store.put(key, chunks_of(data))
    assert await read_all(store, key) == data
    await store.delete(key)
    with pytest.raises(NotFound):
        await store.open(key)
    await store.delete(key)  # already gone: no error


@pytest.mark.parametrize("fail_after", [0, 3 * 64 * 1024, 7 * MIB])
async def test_a_failed_put_leaves_nothing_behind(
    store: BlobStore, fail_after: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    key = uuid.uuid4().hex
    with pytest.raises(Boom):
        await store.put(key, chunks_of(b"y" * 12 * MIB, fail_after=fail_after))
    with pytest.raises(NotFound):
        await store.open(key)
    assert leftovers(store, request, tmp_path) == []


async def test_keys_that_are_not_generated_ids_are_refused(store: BlobStore) -> None:
    for key in ("../../etc/passwd", "a/b", "", "ABCDEF" * 6, "0" * 31):
        with pytest.raises(ValueError):
            await store.put(key, chunks_of(b"x"))
        with pytest.raises(ValueError):
            await store.open(key)


async def test_local_objects_live_only_under_the_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "files")
    key = uuid.uuid4().hex
    await store.put(key, chunks_of(b"hello"))
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert stored == [tmp_path / "files" / key[:2] / key]
