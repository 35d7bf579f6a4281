"""Files a user uploaded: metadata here, the bytes in a blob store under a generated key."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

MAX_FILENAME_LENGTH = 255
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f"\\/]')

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/csv", "application/json"})
DOCUMENT_TYPES = frozenset({"application/pdf"})
ALLOWED_TYPES = IMAGE_TYPES | TEXT_TYPES | DOCUMENT_TYPES


@dataclass(frozen=True, slots=True)
class StoredFile:
    """`filename` is for display and downloads only; it never names anything on disk."""

    id: UUID
    user_id: UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime

    @property
    def storage_key(self) -> str:
        return self.id.hex

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


@dataclass(frozen=True, slots=True)
class FileText:
    """Text extracted once at upload; `truncated` when the document had more."""

    file_id: UUID
    text: str
    truncated: bool


def display_name(raw: str | None) -> str:
    """A file name safe to show and to put in a header: the last path segment (so
    `../../etc/passwd` is `passwd`), without control characters, quotes or slashes,
    Unicode-normalised, at most 255 characters; "file" when nothing is left."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("", name).strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name or "file"
