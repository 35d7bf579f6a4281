from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from parley.application.conversations.search_terms import MAX_TERMS, search_terms
from parley.application.pagination import Keyset, decode_cursor, encode_cursor
from parley.domain.errors import ValidationFailed


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Hello World", ("hello", "world")),
        ('"quoted" OR NEAR(a b)', ("quoted", "or", "near", "a", "b")),
        ("snake_case foo-bar x:* y&z!", ("snake", "case", "foo", "bar", "x", "y", "z")),
        ("don't don't", ("don", "t")),
        ("Ünïcode Straße 東京", ("ünïcode", "straße", "東京")),
        ("' ; DROP TABLE users; --", ("drop", "table", "users")),
        ("***", ()),
    ],
)
def test_search_terms_keep_only_words(text: str, terms: tuple[str, ...]) -> None:
    assert search_terms(text) == terms


def test_search_terms_are_bounded() -> None:
    terms = search_terms(" ".join(f"w{index}" for index in range(100)) + " " + "x" * 500)
    assert len(terms) == MAX_TERMS
    assert max(len(term) for term in search_terms("y" * 500)) == 64


def test_cursor_round_trip() -> None:
    position = Keyset(datetime(2026, 5, 1, 8, 30, 0, 123456, tzinfo=UTC), uuid.uuid4())
    assert decode_cursor(encode_cursor(position)) == position
    assert decode_cursor(None) is None


def test_a_cursor_with_a_naive_time_is_rejected() -> None:
    import base64
    import json

    raw = json.dumps({"at": "2026-05-01T08:30:00", "id": str(uuid.uuid4())}).encode()
    with pytest.raises(ValidationFailed):
        decode_cursor(base64.urlsafe_b64encode(raw).decode())
