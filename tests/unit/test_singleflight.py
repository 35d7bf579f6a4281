"""Concurrent cache misses share one load (the SQLite stall of bench/NOTES.md: every request
in flight re-read the same override row when its cache entry expired)."""

from __future__ import annotations

import asyncio
import uuid
from types import TracebackType
from typing import Any, Self

import pytest

from parley.adapters.memory.cache import MemoryCache
from parley.application.identity.auth_state import AuthStateCache
from parley.application.limits.overrides import CachedLimitOverrides
from parley.application.singleflight import SingleFlight


class SlowRows:
    """A repository whose reads take a while and are counted."""

    def __init__(self) -> None:
        self.reads = 0

    async def _read(self) -> Any:
        self.reads += 1
        await asyncio.sleep(0.01)
        return None

    async def get(self, *_args: object) -> Any:
        return await self._read()

    async def get_by_hash(self, _key_hash: str) -> Any:
        return await self._read()


class CountingUow:
    def __init__(self, rows: SlowRows) -> None:
        self.limit_overrides = rows
        self.api_keys = rows
        self.users = rows
        self.sessions = rows

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        return None


async def test_concurrent_calls_share_one_load() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 42

    results = await asyncio.gather(*(flight.do("k", load) for _ in range(50)))
    assert results == [42] * 50
    assert calls == 1
    assert flight.in_flight == 0
    assert await flight.do("k", load) == 42  # finished loads are not cached here
    assert calls == 2


async def test_an_error_reaches_every_caller_and_the_next_call_retries() -> None:
    flight: SingleFlight[str, int] = SingleFlight()

    async def fail() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("database down")

    results = await asyncio.gather(
        *(flight.do("k", fail) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)

    async def ok() -> int:
        return 7

    assert await flight.do("k", ok) == 7


async def test_a_cancelled_caller_does_not_cancel_the_load_for_the_others() -> None:
    flight: SingleFlight[str, int] = SingleFlight()

    async def load() -> int:
        await asyncio.sleep(0.02)
        return 1

    first = asyncio.create_task(flight.do("k", load))
    second = asyncio.create_task(flight.do("k", load))
    await asyncio.sleep(0.005)
    first.cancel()
    assert await second == 1
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_expired_limit_overrides_are_read_once_by_concurrent_requests() -> None:
    rows = SlowRows()
    overrides = CachedLimitOverrides(lambda: CountingUow(rows), MemoryCache())  # type: ignore[arg-type, return-value]
    user = uuid.uuid4()
    results = await asyncio.gather(*(overrides.for_user(user) for _ in range(64)))
    assert results == [None] * 64
    assert rows.reads == 1


async def test_concurrent_misses_on_an_api_key_read_the_database_once() -> None:
    rows = SlowRows()
    state = AuthStateCache(MemoryCache(), lambda: CountingUow(rows), 300.0)  # type: ignore[arg-type, return-value]
    results = await asyncio.gather(*(state.api_key("hash") for _ in range(64)))
    assert results == [None] * 64
    assert rows.reads == 1
