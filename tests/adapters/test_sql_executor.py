"""The SQL unit of work's connection (adapters/sql/executor.py), on SQLite and PostgreSQL:
checked out on the first statement only, committed on request, rolled back otherwise, and
savepoints that undo only their own part."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.sql.engine import create_engine
from parley.adapters.sql.executor import SqlExecutor


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE IF EXISTS executor_t"))
        await connection.execute(text("CREATE TABLE executor_t (n INTEGER UNIQUE)"))
    yield engine
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE executor_t"))
    await engine.dispose()


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM executor_t"))).scalar_one())


async def test_no_connection_is_held_before_the_first_statement(engine: AsyncEngine) -> None:
    executor = SqlExecutor(engine)
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    await executor.execute(text("INSERT INTO executor_t VALUES (1)"))
    assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    await executor.close()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    await executor.close()  # closing twice, or without a statement, is fine
    await SqlExecutor(engine).close()


async def test_only_what_is_committed_stays(engine: AsyncEngine) -> None:
    executor = SqlExecutor(engine)
    await executor.execute(text("INSERT INTO executor_t VALUES (:n)"), {"n": 1})
    await executor.commit()
    await executor.execute(text("INSERT INTO executor_t VALUES (:n)"), [{"n": 2}, {"n": 3}])
    await executor.close()  # not committed: rolled back
    assert await _count(engine) == 1


async def test_a_failed_savepoint_undoes_only_its_own_part(engine: AsyncEngine) -> None:
    executor = SqlExecutor(engine)
    await executor.execute(text("INSERT INTO executor_t VALUES (1)"))
    with pytest.raises(exc.IntegrityError):
        async with executor.begin_nested():
            await executor.execute(text("INSERT INTO executor_t VALUES (2)"))
            await executor.execute(text("INSERT INTO executor_t VALUES (1)"))
    await executor.execute(text("INSERT INTO executor_t VALUES (3)"))
    await executor.commit()
    await executor.close()
    assert await _count(engine) == 2  # 1 and 3
    assert executor.dialect_name in ("sqlite", "postgresql")
