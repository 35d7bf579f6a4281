"""The SQLite pool's reset on return: a transaction left open is rolled back; a committed
one costs no extra rollback (with aiosqlite, each is a round trip to its thread)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.sql.engine import create_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'reset.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = AsyncAdapt_aiosqlite_connection.rollback

    def counted(self: AsyncAdapt_aiosqlite_connection) -> None:
        calls.append(1)
        original(self)

    monkeypatch.setattr(AsyncAdapt_aiosqlite_connection, "rollback", counted)
    return calls


async def test_a_committed_transaction_is_not_rolled_back_again(
    engine: AsyncEngine, rollbacks: list[int]
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t VALUES (1)"))
    assert rollbacks == []
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 1


async def test_a_transaction_left_open_on_the_driver_is_rolled_back_on_return(
    engine: AsyncEngine, rollbacks: list[int]
) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute("BEGIN IMMEDIATE")  # behind SQLAlchemy's back
        await driver.execute("INSERT INTO t VALUES (2)")
        assert driver.in_transaction
    assert rollbacks == [1]
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert raw.driver_connection is not None
        assert not raw.driver_connection.in_transaction
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_an_abandoned_transaction_is_rolled_back(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO t VALUES (3)"))  # never committed
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 0
