"""What the SQL repositories run their statements through: one unit of work's connection.

SQLAlchemy Core on an `AsyncConnection`, not an ORM `AsyncSession`: the repositories map
rows themselves and never use the ORM, whose session added ~0.17 M instructions to every
transaction (bench/NOTES.md, fifth session). As a session does, it checks a connection out
of the pool on the first statement, not before, so a unit of work that runs none holds
nothing (SQLite's pool has one connection).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class SqlExecutor:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    async def connection(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._engine.connect()
        return self._connection

    async def execute(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        connection = await self.connection()
        return await connection.execute(statement, parameters)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        """A savepoint: what runs inside is undone alone if it raises."""
        connection = await self.connection()
        async with connection.begin_nested():
            yield

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def close(self) -> None:
        """Roll back what was not committed and give the connection back."""
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        try:
            await connection.rollback()
        finally:
            await connection.close()
