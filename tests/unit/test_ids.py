"""UUIDv7 row ids: the right version and variant bits, unique, and ordered by time."""

from __future__ import annotations

import time
import uuid

from parley.domain.ids import uuid7


def test_uuid7_has_version_7_and_the_rfc_variant() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_carries_the_current_unix_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


def test_uuid7_is_unique_and_ordered_across_milliseconds() -> None:
    first = [uuid7() for _ in range(10_000)]
    assert len(set(first)) == len(first)
    time.sleep(0.002)
    later = uuid7()
    assert all(earlier < later for earlier in first)
