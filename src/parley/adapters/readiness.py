"""Readiness: is the database (and Redis, when configured) reachable right now?"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from redis.asyncio import Redis


class InfrastructureReadiness:
    def __init__(self, engine: AsyncEngine, redis: Redis | None, timeout: float = 2.0) -> None:
        self._engine = engine
        self._redis = redis
        self._timeout = timeout

    async def check(self) -> dict[str, str]:
        states = {"database": await self._probe(self._database())}
        if self._redis is not None:
            # Without Redis, replicas keep serving on local shares of every limit: degraded,
            # not down (the load balancer should keep sending traffic).
            redis = await self._probe(self._redis_ping())
            states["redis"] = "degraded" if redis == "down" else redis
        return states

    async def _probe(self, probe: asyncio.Future[None] | object) -> str:
        try:
            await asyncio.wait_for(probe, self._timeout)  # type: ignore[arg-type]
        except Exception:
            return "down"
        return "ok"

    async def _database(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _redis_ping(self) -> None:
        assert self._redis is not None
        await self._redis.ping()
