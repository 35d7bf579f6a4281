"""Usage records leave the request path: `record()` only appends to a buffer; a background
loop stores batches, and `flush()` at shutdown stores what is left, so a graceful stop
(SIGTERM) loses nothing."""

from __future__ import annotations

import asyncio
import contextlib

from parley.application.ports.clock import Clock
from parley.application.ports.logger import Logger
from parley.application.ports.usage import UsageSink, UsageStore
from parley.application.ports.usage_sink import ModelUsage
from parley.domain.ids import uuid7
from parley.domain.usage import UsageRecord, UsageStatus


class BatchingUsageSink:
    def __init__(
        self,
        store: UsageStore,
        logger: Logger,
        *,
        interval_seconds: float = 1.0,
        batch_size: int = 500,
        max_buffered: int = 200_000,
    ) -> None:
        self._store = store
        self._log = logger
        self._interval = interval_seconds
        self._batch_size = batch_size
        self._max_buffered = max_buffered
        self._buffer: list[UsageRecord] = []
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def record(self, record: UsageRecord) -> None:
        if len(self._buffer) >= self._max_buffered:
            self._log.error("usage_buffer_full_dropping_oldest")
            del self._buffer[: self._batch_size]
        self._buffer.append(record)
        if len(self._buffer) >= self._batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    async def flush(self) -> int:
        """Store everything buffered, including what arrives meanwhile (at shutdown). On a
        storage error the batch goes back to the buffer (to be tried again) and the error
        is raised."""
        stored = 0
        while self._buffer:
            stored += await self._store_buffered()
        return stored

    async def _store_buffered(self) -> int:
        """Store what is buffered now, in batches; what arrives meanwhile waits for the next
        flush. (Draining until empty under steady traffic meant one small transaction after
        another — ~36 a second at 1,500 requests/s instead of one or two: bench/NOTES.md.)"""
        stored = 0
        async with self._lock:
            pending, self._buffer = self._buffer, []
            try:
                while pending:
                    batch = pending[: self._batch_size]
                    await self._store.add_many(batch)
                    del pending[: len(batch)]
                    stored += len(batch)
            except BaseException:
                self._buffer[:0] = pending  # not stored: first in line for the next try
                raise
        return stored

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                await self._store_buffered()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("usage_flush_failed", pending=len(self._buffer))


class ModelUsageRecords:
    """Usage of background model work (summaries) written to the same usage log as chats."""

    def __init__(self, sink: UsageSink, clock: Clock) -> None:
        self._sink = sink
        self._clock = clock

    async def record(self, usage: ModelUsage) -> None:
        self._sink.record(
            UsageRecord(
                id=uuid7(),
                at=self._clock.now(),
                user_id=usage.user_id,
                endpoint=usage.purpose,
                requested_model=usage.model,
                served_model=usage.model,
                status=UsageStatus.SUCCESS,
                prompt_tokens=usage.usage.prompt_tokens,
                completion_tokens=usage.usage.completion_tokens,
                tokens_estimated=usage.usage.estimated,
                cost=usage.cost,
                conversation_id=usage.conversation_id,
            )
        )
