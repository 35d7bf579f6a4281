"""`S3BlobStore`: file bytes in S3-compatible object storage (for scale-out replicas).

boto3 runs in worker threads: an upload costs one call per 8 MiB part, so a thread hop per
call is cheap, and boto3 is the SDK AWS maintains (aiobotocore pins exact botocore
releases). Objects up to one part go up in a single PUT; bigger ones as a multipart upload,
aborted if anything fails, so no partial object or orphaned parts remain. At most one part
is held in memory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from parley.adapters.storage.keys import checked_key
from parley.domain.errors import NotFound, ServiceUnavailable

PART_BYTES = 8 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
T = TypeVar("T")


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "files/",
        part_bytes: int = PART_BYTES,
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._part_bytes = part_bytes
        # Credentials come from the standard AWS environment variables / profiles.
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                s3={"addressing_style": "path"},
            ),
        )

    def _key(self, key: str) -> str:
        return self._prefix + checked_key(key)

    async def _call(self, method: Callable[..., T], **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(method, **kwargs)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise NotFound("The file's content is missing.") from error
            raise ServiceUnavailable("File storage refused the request.") from error
        except BotoCoreError as error:
            raise ServiceUnavailable("File storage is unreachable.") from error

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        object_key = self._key(key)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                buffer += chunk
                while len(buffer) >= self._part_bytes:
                    if upload_id is None:
                        created = await self._call(
                            self._client.create_multipart_upload,
                            Bucket=self._bucket,
                            Key=object_key,
                        )
                        upload_id = created["UploadId"]
                    part = bytes(buffer[: self._part_bytes])
                    del buffer[: self._part_bytes]
                    parts.append(await self._upload_part(object_key, upload_id, len(parts), part))
            if upload_id is None:
                await self._call(
                    self._client.put_object, Bucket=self._bucket, Key=object_key, Body=bytes(buffer)
                )
                return
            if buffer:
                parts.append(await self._upload_part(object_key, upload_id, len(parts), buffer))
            await self._call(
                self._client.complete_multipart_upload,
                Bucket=self._bucket,
                Key=object_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            if upload_id is not None:
                await _finish_even_if_cancelled(self._abort(object_key, upload_id))
            raise

    async def _upload_part(
        self, object_key: str, upload_id: str, index: int, data: bytes | bytearray
    ) -> dict[str, Any]:
        answer = await self._call(
            self._client.upload_part,
            Bucket=self._bucket,
            Key=object_key,
            UploadId=upload_id,
            PartNumber=index + 1,
            Body=bytes(data),
        )
        return {"PartNumber": index + 1, "ETag": answer["ETag"]}

    async def _abort(self, object_key: str, upload_id: str) -> None:
        # If this fails too, a lifecycle rule on incomplete uploads is the backstop.
        with contextlib.suppress(NotFound, ServiceUnavailable):
            await self._call(
                self._client.abort_multipart_upload,
                Bucket=self._bucket,
                Key=object_key,
                UploadId=upload_id,
            )

    async def open(self, key: str) -> AsyncIterator[bytes]:
        answer = await self._call(self._client.get_object, Bucket=self._bucket, Key=self._key(key))
        return _read(answer["Body"])

    async def delete(self, key: str) -> None:
        await self._call(self._client.delete_object, Bucket=self._bucket, Key=self._key(key))

    def close(self) -> None:
        self._client.close()


async def _read(body: Any) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(body.read, READ_CHUNK_BYTES):
            yield chunk
    finally:
        body.close()


async def _finish_even_if_cancelled(work: Any) -> None:
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise
