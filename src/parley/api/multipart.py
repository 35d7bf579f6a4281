"""A `multipart/form-data` upload read incrementally from the request stream.

FastAPI's `UploadFile` spools the whole body before the route runs; this parses the stream
as it arrives (python-multipart's push parser), so the use case sees the file's bytes
chunk by chunk and can refuse an upload the moment it is too large."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import unquote

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from parley.domain.errors import (
    FieldError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)

#: Bytes of other form fields tolerated around the file (they are read and ignored).
MAX_OTHER_FIELD_BYTES = 64 * 1024
_EXTENDED_FILENAME = re.compile(r"filename\*\s*=\s*UTF-8''([^;\s]+)", re.IGNORECASE)


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(("body", "file"), message)], message)


class MultipartUpload:
    """The form field `field` of a multipart request, as an `UploadSource`."""

    def __init__(self, request: Request, field: str = "file") -> None:
        self._request = request
        self._field = field.encode()
        self._events: deque[tuple[str, bytes]] = deque()
        self._header_name = b""
        self._headers: dict[bytes, bytes] = {}
        self._other_bytes = 0
        length = request.headers.get("content-length", "")
        self._declared_length = int(length) if length.isdigit() else None
        self._stream: AsyncIterator[bytes] | None = None
        self._parser: MultipartParser | None = None
        self._finished = False

    @property
    def declared_length(self) -> int | None:
        return self._declared_length

    async def open(self) -> tuple[str | None, str | None]:
        kind, options = parse_options_header(self._request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise UnsupportedMediaType("Send the file as multipart/form-data, in a `file` field.")
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )
        self._stream = self._request.stream().__aiter__()
        in_other_field = False
        while True:
            kind_of_event, value = await self._next_event("The form has no `file` field.")
            if kind_of_event == "headers":
                disposition = self._headers.get(b"content-disposition", b"")
                _, params = parse_options_header(disposition)
                if params.get(b"name") == self._field:
                    return _filename(disposition, params), self._content_type()
                in_other_field = True
            elif kind_of_event == "data" and in_other_field:
                self._other_bytes += len(value)
                if self._other_bytes > MAX_OTHER_FIELD_BYTES:
                    raise PayloadTooLarge("Only a `file` field is expected in this form.")
            elif kind_of_event == "end":
                in_other_field = False

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            kind_of_event, value = await self._next_event("The request ended before the file did.")
            if kind_of_event == "data":
                if value:
                    yield value
            elif kind_of_event == "end":
                return

    def _content_type(self) -> str | None:
        value = self._headers.get(b"content-type")
        return value.decode("latin-1") if value else None

    async def _next_event(self, if_missing: str) -> tuple[str, bytes]:
        assert self._parser is not None and self._stream is not None
        while not self._events:
            if self._finished:
                raise _invalid(if_missing)
            try:
                chunk = await anext(self._stream)
            except StopAsyncIteration:
                self._finished = True
                continue
            except ClientDisconnect as error:
                raise _invalid("The client went away during the upload.") from error
            try:
                self._parser.write(chunk)
            except MultipartParseError as error:
                raise _invalid("The multipart body is malformed.") from error
        return self._events.popleft()

    # --- parser callbacks (python-multipart calls them synchronously from write()) -------

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        name = self._header_name.lower()
        self._headers[name] = self._headers.get(name, b"") + data[start:end]

    def _on_header_end(self) -> None:
        self._header_name = b""

    def _on_headers_finished(self) -> None:
        self._events.append(("headers", b""))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._events.append(("data", bytes(data[start:end])))

    def _on_part_end(self) -> None:
        self._events.append(("end", b""))


def _filename(disposition: bytes, params: dict[bytes, bytes]) -> str | None:
    extended = _EXTENDED_FILENAME.search(disposition.decode("latin-1"))
    if extended:
        return unquote(extended.group(1), errors="replace")
    raw = params.get(b"filename")
    return raw.decode("utf-8", errors="replace") if raw is not None else None
