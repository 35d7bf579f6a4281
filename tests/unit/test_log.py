"""The log processors Parley adds to structlog's: timestamps and redaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from parley import log
from parley.log import UtcTimestamper, _redact

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def test_the_timestamp_is_iso_utc_with_microseconds_and_now() -> None:
    stamped = UtcTimestamper()(None, "info", {})["timestamp"]
    assert ISO_UTC.match(stamped)
    at = datetime.fromisoformat(stamped.replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - at).total_seconds()) < 1


def test_the_timestamp_follows_the_clock_across_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    stamp = UtcTimestamper()
    for nanoseconds, expected in [
        (1_700_000_000_999_999_000, "2023-11-14T22:13:20.999999Z"),
        (1_700_000_001_000_000_000, "2023-11-14T22:13:21.000000Z"),  # a new second
        (1_700_000_001_000_123_999, "2023-11-14T22:13:21.000123Z"),  # the same one
        (1_700_086_400_000_000_000, "2023-11-15T22:13:20.000000Z"),  # a day later
    ]:
        monkeypatch.setattr(log.time, "time_ns", lambda value=nanoseconds: value)
        assert stamp(None, "info", {})["timestamp"] == expected
        assert datetime.fromisoformat(expected.replace("Z", "+00:00")).timestamp() == (
            nanoseconds // 1000 / 1_000_000
        )


def test_secrets_are_redacted_whatever_the_case_of_their_name() -> None:
    event: dict[str, Any] = {
        "event": "login",
        "Authorization": "Bearer pk-secret",
        "API_KEY": "sk-secret",
        "password": "hunter2",
        "user": "ada",
    }
    for _ in range(2):
        redacted = _redact(None, "info", dict(event))
        assert redacted == {
            "event": "login",
            "Authorization": "[redacted]",
            "API_KEY": "[redacted]",
            "password": "[redacted]",
            "user": "ada",
        }
