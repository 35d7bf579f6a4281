"""Finishing bookkeeping while a client disconnect is cancelling the request's task."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")
_PENDING: set[asyncio.Future[Any]] = set()


async def survive_cancellation(work: Awaitable[T]) -> T:
    """Run `work` to completion even if the calling task is cancelled, possibly again and
    again (a disconnect cancels a Starlette response task at every await): it runs as its own
    task; the caller waits for it unless cancelled, in which case it finishes on its own."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)
        raise
