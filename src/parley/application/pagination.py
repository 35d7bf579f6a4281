"""Keyset pagination: opaque cursors and pages, the same for every listing.

A cursor is the urlsafe base64 of a small JSON object naming the last row a page returned,
`{"at": <RFC 3339 time>, "id": <UUID>}`. Clients must treat it as opaque."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from parley.domain.errors import FieldError, ValidationFailed

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Keyset:
    """A position in a listing ordered by (time, id): the last row already seen."""

    at: datetime
    id: UUID


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(position: Keyset) -> str:
    raw = json.dumps({"at": position.at.isoformat(), "id": str(position.id)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Keyset | None:
    """Raises `ValidationFailed` (on `query.cursor`) for anything not made by `encode_cursor`."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        at = datetime.fromisoformat(data["at"])
        position = Keyset(at, UUID(data["id"]))
    except (binascii.Error, ValueError, TypeError, KeyError) as error:
        raise _bad_cursor() from error
    if at.tzinfo is None:
        raise _bad_cursor()
    return position


def page_of(rows: Sequence[T], limit: int, keyset_of: Callable[[T], Keyset]) -> Page[T]:
    """`rows` were fetched with `limit + 1`: an extra row only says that another page exists."""
    if len(rows) <= limit:
        return Page(list(rows), None)
    kept = list(rows[:limit])
    return Page(kept, encode_cursor(keyset_of(kept[-1])))


def _bad_cursor() -> ValidationFailed:
    message = "This cursor is not valid; use the next_cursor of a previous page."
    return ValidationFailed([FieldError(("query", "cursor"), message)], message)
