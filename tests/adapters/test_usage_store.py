"""Usage rows are written below SQLAlchemy (asyncpg's COPY, SQLite's executemany): they must
be exactly what SQLAlchemy's own insert stores, value by value, on both databases — and
land in the same transaction as the day's roll-ups."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.sql.engine import create_engine, create_session_factory
from parley.adapters.sql.repositories.usage import LOG_COLUMNS, SqlUsageStore, _row
from parley.adapters.sql.tables import usage_logs
from parley.domain.ids import uuid7
from parley.domain.usage import UsageRecord, UsageStatus

DUPLICATE = (sqlite3.IntegrityError, asyncpg.UniqueViolationError, IntegrityError)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


USER, KEY, CONVERSATION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def records() -> list[UsageRecord]:
    user = USER
    at = datetime(2026, 11, 26, 9, 30, 1, 5, tzinfo=UTC)
    return [
        UsageRecord(
            uuid7(),
            at,
            user,
            "chat.completions",
            "requested ü",
            UsageStatus.SUCCESS,
            prompt_tokens=12,
            completion_tokens=9,
            tokens_estimated=True,
            cost=Decimal("0.0001235"),
            api_key_id=KEY,
            served_model="served",
            provider="openai",
            latency_ms=1.25,
            ttft_ms=0.5,
        ),
        UsageRecord(  # every optional value absent; a time given in another zone
            uuid7(),
            datetime(2026, 11, 26, 11, 0, 0, 999999, tzinfo=timezone(timedelta(hours=2))),
            user,
            "chat.stream",
            "m",
            UsageStatus.ERROR,
            conversation_id=CONVERSATION,
            error_type="provider-timeout",
        ),
    ]


async def stored(engine: AsyncEngine, ids: list[uuid.UUID]) -> list[tuple[Any, ...]]:
    """The rows as the database holds them, read without SQLAlchemy's type processing."""
    columns = ", ".join(LOG_COLUMNS)
    out = []
    async with engine.connect() as connection:
        for record_id in ids:
            key = record_id.hex if engine.dialect.name == "sqlite" else str(record_id)
            cast = "" if engine.dialect.name == "sqlite" else "::text"
            result = await connection.exec_driver_sql(
                f"SELECT {columns} FROM usage_logs WHERE id{cast} = "
                + ("?" if engine.dialect.name == "sqlite" else "$1"),
                (key,),
            )
            out.append(tuple(result.one()))
    return out


async def test_rows_are_the_ones_sqlalchemy_would_store(engine: AsyncEngine) -> None:
    fast, reference = records(), records()
    await SqlUsageStore(create_session_factory(engine)).add_many(fast)
    async with engine.begin() as connection:
        await connection.execute(insert(usage_logs), [_row(record) for record in reference])
    got = await stored(engine, [r.id for r in fast])
    want = await stored(engine, [r.id for r in reference])
    assert len(got) == len(want) == 2
    for row, expected in zip(got, want, strict=True):
        assert row[1:] != () and row[0] != expected[0]  # different ids, same everything else
        assert row[1:] == expected[1:]


async def test_logs_and_rollups_commit_together(engine: AsyncEngine) -> None:
    store = SqlUsageStore(create_session_factory(engine))
    batch = records()
    await store.add_many(batch)
    with pytest.raises(DUPLICATE):  # the same ids again: the insert fails ...
        await store.add_many(batch)
    async with engine.connect() as connection:
        logs = (await connection.execute(text("SELECT count(*) FROM usage_logs"))).scalar()
        requests = (
            await connection.execute(text("SELECT sum(requests) FROM usage_daily"))
        ).scalar()
    assert logs == 2
    assert requests == 2  # ... and the roll-ups it came with are rolled back with it


async def test_each_batch_adds_to_the_days_totals(engine: AsyncEngine) -> None:
    store = SqlUsageStore(create_session_factory(engine))
    for _ in range(3):  # two roll-up rows a batch; the second and third add to them
        await store.add_many(records())
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT day, model, requests, prompt_tokens, completion_tokens, cost_micros"
                    " FROM usage_daily ORDER BY model"
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("2026-11-26", "m", 3, 0, 0, 0),
        ("2026-11-26", "served", 3, 36, 27, 372),  # 3 x 0.0001235 -> 124 micros each
    ]
