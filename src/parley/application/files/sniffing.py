"""What an upload really is, decided from its bytes as they stream past.

Binary types are recognised by their magic numbers; anything else must be UTF-8 text
without NUL characters (then the declared type or the name's extension picks which text
type). Everything else is refused as soon as it is seen, without reading the rest."""

from __future__ import annotations

import codecs
from pathlib import PurePosixPath

from parley.domain.errors import UnsupportedMediaType
from parley.domain.files import ALLOWED_TYPES, TEXT_TYPES

_HEAD_BYTES = 12
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_TYPE_ALIASES = {
    "text/x-markdown": "text/markdown",
    "text/comma-separated-values": "text/csv",
    "text/json": "application/json",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
}
_TEXT_EXTENSIONS = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
}


def normalize_declared_type(declared: str | None) -> str:
    """The declared media type without parameters, lower-cased, aliases resolved. Raises
    `UnsupportedMediaType` for a type outside the allow-list (before any byte is read)."""
    media_type = (declared or "").split(";", 1)[0].strip().lower()
    media_type = _TYPE_ALIASES.get(media_type, media_type)
    if media_type not in _GENERIC_TYPES and media_type not in ALLOWED_TYPES:
        raise UnsupportedMediaType(f"Files of type {media_type[:100]!r} are not accepted.")
    return media_type


def _magic_type(head: bytes) -> str | None:
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class ContentInspector:
    """Feed it the upload's bytes in order, then ask `content_type()`. While feeding it
    raises `UnsupportedMediaType` at the first byte that rules every allowed type out. For
    text it keeps up to `max_text_chars` characters (`text`, `text_truncated`)."""

    def __init__(self, max_text_chars: int) -> None:
        self._max_text_chars = max_text_chars
        self._head = bytearray()
        self._binary_type: str | None = None
        self._is_text = False
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self._text_parts: list[str] = []
        self._text_chars = 0
        self.text_truncated = False

    @property
    def text(self) -> str | None:
        return "".join(self._text_parts) if self._is_text else None

    def feed(self, chunk: bytes) -> None:
        if self._binary_type is not None:
            return
        if self._is_text:
            self._decode(chunk, final=False)
            return
        self._head += chunk
        if len(self._head) >= _HEAD_BYTES:
            self._decide(final=False)

    def _decide(self, *, final: bool) -> None:
        head = bytes(self._head)
        self._head.clear()
        self._binary_type = _magic_type(head)
        if self._binary_type is None:
            self._is_text = True
            self._decode(head, final=final)

    def _decode(self, chunk: bytes, *, final: bool) -> None:
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError as error:
            raise UnsupportedMediaType(
                "This file is neither an accepted binary type (PDF, PNG, JPEG, GIF, WebP) "
                "nor UTF-8 text."
            ) from error
        if "\x00" in text:
            raise UnsupportedMediaType("Text files must not contain NUL characters.")
        room = self._max_text_chars - self._text_chars
        if len(text) > room:
            self.text_truncated = True
            text = text[: max(room, 0)]
        if text:
            self._text_parts.append(text)
            self._text_chars += len(text)

    def content_type(self, declared: str, filename: str) -> str:
        """Call after the last byte. The type the bytes prove; raises `UnsupportedMediaType`
        when the declared type (already normalised) says otherwise."""
        if self._binary_type is None and not self._is_text:
            self._decide(final=True)
        elif self._is_text:
            self._decode(b"", final=True)
        if self._binary_type is not None:
            if declared not in _GENERIC_TYPES and declared != self._binary_type:
                raise UnsupportedMediaType(
                    f"The content is {self._binary_type}, not the declared {declared}."
                )
            return self._binary_type
        if declared in TEXT_TYPES:
            return declared
        if declared not in _GENERIC_TYPES:
            raise UnsupportedMediaType(f"The content is text, not the declared {declared}.")
        extension = PurePosixPath(filename).suffix.lower()
        return _TEXT_EXTENSIONS.get(extension, "text/plain")
