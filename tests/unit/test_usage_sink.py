"""The usage sink's background loop stores what is buffered when it wakes — records that
arrive during a store wait for the next interval (or a full batch) instead of starting one
small transaction after another — and nothing is lost when a store fails."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from parley.application.ports.logger import SilentLogger
from parley.application.usage.recorder import BatchingUsageSink
from parley.domain.usage import UsageQuery, UsageRecord, UsageRow, UsageStatus
from tests.unit.fakes import T0


class GatedStore:
    """Keeps every batch it is given; each store waits for the test to open the gate, and
    the first `failures` stores fail."""

    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[uuid.UUID]] = []
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.failures = failures

    async def add_many(self, records: Sequence[UsageRecord]) -> None:
        self.entered.set()
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database away")
        self.batches.append([record.id for record in records])

    async def report(self, query: UsageQuery) -> Sequence[UsageRow]:
        return []

    async def delete_raw_before(self, cutoff: datetime, batch_size: int) -> int:
        return 0


def record() -> UsageRecord:
    return UsageRecord(
        uuid.uuid4(), T0, uuid.uuid4(), "chat.completions", "m", UsageStatus.SUCCESS,
        cost=Decimal(0),
    )  # fmt: skip


async def test_records_arriving_during_a_store_wait_for_the_next_flush() -> None:
    store = GatedStore()
    sink = BatchingUsageSink(store, SilentLogger(), interval_seconds=60, batch_size=3)
    loop = asyncio.create_task(sink.run())
    try:
        first = [record() for _ in range(3)]
        for one in first:
            sink.record(one)  # a full batch wakes the loop
        await asyncio.wait_for(store.entered.wait(), 5)
        later = [record() for _ in range(2)]
        for one in later:
            sink.record(one)  # while the first batch is being stored
        store.gate.set()
        for _ in range(20):
            await asyncio.sleep(0)
        assert store.batches == [[r.id for r in first]]
        assert sink.pending == 2  # not a transaction of their own right away
        assert await sink.flush() == 2  # at shutdown, everything
        assert store.batches[1] == [r.id for r in later]
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop


async def test_a_failed_store_puts_its_records_back_first_in_line() -> None:
    store = GatedStore(failures=1)
    store.gate.set()
    sink = BatchingUsageSink(store, SilentLogger(), interval_seconds=60, batch_size=2)
    kept = [record() for _ in range(3)]
    for one in kept:
        sink.record(one)
    try:
        await sink.flush()
    except ConnectionError:
        pass
    else:
        raise AssertionError("the store's failure must reach the caller")
    assert sink.pending == 3
    newer = record()
    sink.record(newer)
    assert await sink.flush() == 4
    stored = [record_id for batch in store.batches for record_id in batch]
    assert stored == [r.id for r in [*kept, newer]]
