"""Migration 0002 goes down and up again cleanly on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect

from parley.adapters.sql.engine import create_engine
from parley.adapters.sql.migrate import downgrade, upgrade
from tests.support.services import fresh_postgres_database, postgres_available


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _round_trip(url: str) -> None:
    upgrade(url)
    assert {"conversations", "messages"} <= _tables(url)
    downgrade(url, "0001_identity")
    left = _tables(url)
    assert not {"conversations", "messages", "conversation_search_docs"} & left
    assert not any(name.startswith("conversation_search") for name in left)
    upgrade(url)
    assert {"conversations", "messages"} <= _tables(url)


def test_sqlite_down_and_up(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    _round_trip(url)
    assert {"conversation_search", "conversation_search_docs"} <= _tables(url)


@pytest.mark.postgres
def test_postgres_down_and_up() -> None:
    postgres_available()
    with fresh_postgres_database() as url:
        _round_trip(url)
