"""Limit windows are UTC minutes, days and calendar months."""

from __future__ import annotations

from calendar import timegm

from parley.application.limits.admission import _windows


def test_month_windows_end_at_the_next_utc_month() -> None:
    for now, month, ends in [
        (timegm((2026, 11, 26, 5, 0, 0)), "202611", timegm((2026, 12, 1, 0, 0, 0))),
        (timegm((2026, 12, 31, 23, 59, 59)), "202612", timegm((2027, 1, 1, 0, 0, 0))),
        (timegm((2027, 1, 1, 0, 0, 0)), "202701", timegm((2027, 2, 1, 0, 0, 0))),
    ]:
        _, _, got_month, _, _, to_month = _windows(float(now))
        assert (got_month, now + to_month) == (month, ends)
