"""Helpers for tests of per-minute limits."""

from __future__ import annotations

import asyncio
import time


async def fresh_minute(needed_seconds: float = 5.0) -> None:
    """Per-minute limits use clock-aligned windows: start a test that needs `needed_seconds`
    inside one window early enough in it (waiting for the next one if need be)."""
    into = time.time() % 60
    if into > 60 - needed_seconds:
        await asyncio.sleep(60 - into + 0.05)
