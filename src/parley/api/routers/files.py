"""`/v1/files`: the caller's uploads. Anyone else's file is 404, whatever the verb.

Uploads are parsed from the request stream as they arrive (`MultipartUpload`); the app's
body-size middleware exempts this prefix, because the upload use case enforces the file
size limit and the caller's quota itself, as the bytes come in."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.multipart import MultipartUpload
from parley.api.schemas.files import FileListOut, FileOut
from parley.domain.files import TEXT_TYPES

router = APIRouter(prefix="/v1/files", tags=["files"])

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 413, 415, 422),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_file(request: Request, principal: PrincipalDep, services: ServicesDep) -> FileOut:
    return FileOut.of(await services.files.upload(principal, MultipartUpload(request)))


@router.get("", responses=responses(401, 422))
async def list_files(
    principal: PrincipalDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
) -> FileListOut:
    page = await services.files.list(principal, limit=limit, cursor=cursor)
    return FileListOut(items=[FileOut.of(f) for f in page.items], next_cursor=page.next_cursor)


@router.get("/{file_id}", responses=responses(401, 404))
async def get_file(file_id: UUID, principal: PrincipalDep, services: ServicesDep) -> FileOut:
    return FileOut.of(await services.files.get(principal, file_id))


@router.get(
    "/{file_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file's bytes"},
        **responses(401, 404),
    },
)
async def download_file(
    file_id: UUID, principal: PrincipalDep, services: ServicesDep
) -> StreamingResponse:
    download = await services.files.download(principal, file_id)
    file = download.file
    media_type = file.content_type
    if media_type in TEXT_TYPES:
        media_type += "; charset=utf-8"
    return StreamingResponse(
        download.chunks,
        media_type=media_type,
        headers={
            "Content-Disposition": attachment(file.filename),
            "Content-Length": str(file.size),
            "X-Content-Type-Options": "nosniff",
            # Even if a browser were made to render it, it could run nothing.
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.delete("/{file_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 404))
async def delete_file(file_id: UUID, principal: PrincipalDep, services: ServicesDep) -> Response:
    await services.files.delete(principal, file_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def attachment(filename: str) -> str:
    """`Content-Disposition: attachment` per RFC 6266: a plain-ASCII `filename` for old
    clients and the exact name as RFC 8187 `filename*`."""
    fallback = "".join(
        char if 0x20 <= ord(char) < 0x7F and char not in '"\\;%' else "_" for char in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
