"""Coalesce concurrent loads of the same key into one.

When a cached entry expires under load, every request in flight misses at once; without
this, each of them opens its own database transaction for the same row (on SQLite they
queue on the write lock behind the usage flush: multi-second stalls, see bench/NOTES.md).
With it, the first caller starts the load and the others await its result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._loads: dict[K, asyncio.Future[V]] = {}

    async def do(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The result of `load()`, shared with every concurrent caller for `key`. The load
        runs in its own task, so a caller that is cancelled does not cancel it for the
        others; its exception, if any, reaches every caller."""
        running = self._loads.get(key)
        if running is None:
            running = asyncio.ensure_future(load())
            self._loads[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(running)

    def _finished(self, key: K, done: asyncio.Future[V]) -> None:
        if self._loads.get(key) is done:
            del self._loads[key]
        if not done.cancelled():
            done.exception()  # retrieved: no "never retrieved" warning if every caller left

    @property
    def in_flight(self) -> int:
        return len(self._loads)
