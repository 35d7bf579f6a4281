"""Where usage records go, and how reports are read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from parley.domain.usage import UsageQuery, UsageRecord, UsageRow


class UsageStore(Protocol):
    async def add_many(self, records: Sequence[UsageRecord]) -> None:
        """Store raw records and fold them into the daily roll-ups, in one transaction."""
        ...

    async def report(self, query: UsageQuery) -> Sequence[UsageRow]:
        """Rows from the daily roll-ups (never a scan of raw records)."""
        ...

    async def delete_raw_before(self, cutoff: datetime, batch_size: int) -> int:
        """Delete at most `batch_size` raw records older than `cutoff`; the number deleted."""
        ...


class UsageSink(Protocol):
    def record(self, record: UsageRecord) -> None:
        """Accept a record without waiting: it is stored off the request path."""
        ...
