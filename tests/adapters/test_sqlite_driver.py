"""The SQLite engine's driver shim (adapters/sql/sqlite_driver.py): one trip to aiosqlite's
thread per statement, and a cursor that answers as the driver's own would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.sql.engine import create_engine
from parley.adapters.sql.sqlite_driver import OneTripConnection


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, n INT)")
        )
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions run on aiosqlite's thread, by name."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_the_engine_uses_the_one_trip_connection(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneTripConnection)


async def test_each_statement_is_one_trip_to_the_thread(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
        rows = (await connection.execute(text("SELECT name, n FROM t"))).all()
    assert [tuple(row) for row in rows] == [("a", 1)]
    # BEGIN IMMEDIATE, the INSERT, the SELECT (rows included), COMMIT; no reset on return.
    assert trips == ["_run", "_run", "_run", "commit"]


async def test_the_cursor_reports_rowcount_lastrowid_and_columns(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        first = await connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
        second = await connection.execute(text("INSERT INTO t (name, n) VALUES ('b', 1)"))
        assert (first.lastrowid, second.lastrowid) == (1, 2)
        many = await connection.execute(
            text("INSERT INTO t (name, n) VALUES (:name, :n)"),
            [{"name": "c", "n": 2}, {"name": "d", "n": 2}, {"name": "e", "n": 3}],
        )
        assert many.rowcount == 3
        updated = await connection.execute(text("UPDATE t SET n = 9 WHERE n = 2"))
        assert updated.rowcount == 2
        result = await connection.execute(text("SELECT name AS who, n FROM t ORDER BY id"))
        assert list(result.keys()) == ["who", "n"]
        assert result.fetchone() == ("a", 1)
        assert result.fetchmany(2) == [("b", 1), ("c", 9)]
        assert result.fetchall() == [("d", 9), ("e", 3)]
        empty = await connection.execute(text("SELECT name FROM t WHERE n = 100"))
        assert list(empty.keys()) == ["name"]
        assert empty.all() == []


async def test_a_driver_error_is_sqlalchemys_and_the_connection_goes_on(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
    async with engine.connect() as connection:
        with pytest.raises(exc.IntegrityError):
            await connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 2)"))
        await connection.rollback()
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 1


async def test_streamed_results_keep_the_server_side_cursor(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO t (name, n) VALUES (:name, :n)"),
            [{"name": f"r{i}", "n": i} for i in range(250)],
        )
    async with engine.connect() as connection:
        result = await connection.stream(text("SELECT n FROM t ORDER BY n"))
        seen = [row.n async for row in result]
    assert seen == list(range(250))
