"""Keyset pagination: pages of a list ordered by (time, id), and the opaque cursors between them.

A cursor is the urlsafe base64 of a small JSON object naming the last row of the previous
page. It carries no secret and is not signed: a forged cursor only moves the page window of a
query the caller is already allowed to run."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar
from uuid import UUID

from parley.domain.errors import FieldError, ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Keyset:
    """The position after which the next page starts: the last row's time and id."""

    at: datetime
    id: UUID


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(position: Keyset) -> str:
    raw = json.dumps({"at": position.at.isoformat(), "id": str(position.id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Keyset | None:
    """Raises `ValidationFailed` for a cursor this module did not make."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        at = datetime.fromisoformat(data["at"])
        position = Keyset(at if at.tzinfo else at.replace(tzinfo=UTC), UUID(data["id"]))
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as error:
        message = "The cursor is not valid."
        raise ValidationFailed([FieldError(("query", "cursor"), message)], message) from error
    return position


def clamp_limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))
