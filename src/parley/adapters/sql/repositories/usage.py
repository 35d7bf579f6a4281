"""Usage records and daily roll-ups in SQL. Costs are stored as integer micro-units, exact
on both databases and safe to add up in SQL."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Insert, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.adapters.sql.tables import usage_daily, usage_logs
from parley.domain.usage import UsageQuery, UsageRecord, UsageRow

MICROS = Decimal(1_000_000)


def to_micros(cost: Decimal) -> int:
    return int((cost * MICROS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


#: "YYYY-MM-DD" of a date: a batch's records share one or two days, so each is formatted once.
_day_text = functools.lru_cache(maxsize=16)(date.isoformat)


def _rollup_key(record: UsageRecord) -> tuple[str, Any, str]:
    return (
        _day_text(record.at.date()),
        record.user_id,
        record.served_model or record.requested_model,
    )


class SqlUsageStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def add_many(self, records: Sequence[UsageRecord]) -> None:
        if not records:
            return
        rollups: dict[tuple[str, Any, str], list[int]] = {}
        micros = [to_micros(record.cost) for record in records]
        for record, cost_micros in zip(records, micros, strict=True):
            totals = rollups.setdefault(_rollup_key(record), [0, 0, 0, 0])
            totals[0] += 1
            totals[1] += record.prompt_tokens
            totals[2] += record.completion_tokens
            totals[3] += cost_micros
        # In a fixed order, so that concurrent writers (replicas) lock the rows alike.
        day_rows = [
            {
                "day": day,
                "user_id": user_id,
                "model": model,
                "requests": count,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "cost_micros": day_micros,
            }
            for (day, user_id, model), (count, prompt, completion, day_micros) in sorted(
                rollups.items(), key=lambda item: (item[0][0], str(item[0][1]), item[0][2])
            )
        ]
        async with self._session_factory() as session:
            dialect = session.bind.dialect.name if session.bind else "sqlite"
            await session.execute(_upsert(dialect), day_rows)
            await _insert_logs(session, dialect, records, micros)
            await session.commit()

    async def report(self, query: UsageQuery) -> Sequence[UsageRow]:
        key = {
            "user": usage_daily.c.user_id,
            "model": usage_daily.c.model,
            "day": usage_daily.c.day,
        }[query.group_by]
        statement = (
            select(
                key.label("key"),
                func.sum(usage_daily.c.requests),
                func.sum(usage_daily.c.prompt_tokens),
                func.sum(usage_daily.c.completion_tokens),
                func.sum(usage_daily.c.cost_micros),
            )
            .group_by(key)
            .order_by(key)
        )
        if query.start is not None:
            statement = statement.where(usage_daily.c.day >= query.start.isoformat())
        if query.end is not None:
            statement = statement.where(usage_daily.c.day <= query.end.isoformat())
        if query.user_id is not None:
            statement = statement.where(usage_daily.c.user_id == query.user_id)
        async with self._session_factory() as session:
            rows = (await session.execute(statement)).all()
        return [
            UsageRow(
                str(row[0]), int(row[1]), int(row[2]), int(row[3]), Decimal(int(row[4])) / MICROS
            )
            for row in rows
        ]

    async def delete_raw_before(self, cutoff: datetime, batch_size: int) -> int:
        async with self._session_factory() as session:
            ids = select(usage_logs.c.id).where(usage_logs.c.at < cutoff).limit(batch_size)
            result = await session.execute(delete(usage_logs).where(usage_logs.c.id.in_(ids)))
            await session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _row(record: UsageRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at,
        "user_id": record.user_id,
        "api_key_id": record.api_key_id,
        "conversation_id": record.conversation_id,
        "endpoint": record.endpoint,
        "requested_model": record.requested_model,
        "served_model": record.served_model,
        "provider": record.provider,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "tokens_estimated": record.tokens_estimated,
        "cost_micros": to_micros(record.cost),
        "latency_ms": record.latency_ms,
        "ttft_ms": record.ttft_ms,
        "status": record.status.value,
        "error_type": record.error_type,
    }


#: usage_logs' columns, in the order the driver-level inserts below give them.
LOG_COLUMNS = (
    "id",
    "at",
    "user_id",
    "api_key_id",
    "conversation_id",
    "endpoint",
    "requested_model",
    "served_model",
    "provider",
    "prompt_tokens",
    "completion_tokens",
    "tokens_estimated",
    "cost_micros",
    "latency_ms",
    "ttft_ms",
    "status",
    "error_type",
)
_SQLITE_INSERT = (
    "INSERT INTO usage_logs (id, at, user_id, api_key_id, conversation_id, endpoint, "
    "requested_model, served_model, provider, prompt_tokens, completion_tokens, "
    "tokens_estimated, cost_micros, latency_ms, ttft_ms, status, error_type) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def _insert_logs(
    session: AsyncSession, dialect: str, records: Sequence[UsageRecord], micros: Sequence[int]
) -> None:
    """One row per record, in the session's transaction (already begun by the roll-ups).

    A record is written for every request, so this is the hot write: SQLAlchemy's bulk
    insert processed every value of every row in Python (~26 µs a row); the drivers take
    the rows as they are — asyncpg's binary COPY (~2 µs), SQLite's `executemany` with the
    values SQLAlchemy would have bound (~6 µs). tests/adapters/test_usage_store.py checks
    that the rows are the same as SQLAlchemy's, column by column, on both."""
    if dialect not in ("postgresql", "sqlite"):
        await session.execute(insert(usage_logs), [_row(record) for record in records])
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if dialect == "postgresql":
        rows = [_values(record, cost) for record, cost in zip(records, micros, strict=True)]
        await driver.copy_records_to_table("usage_logs", records=rows, columns=LOG_COLUMNS)
    else:
        rows = [_sqlite_values(record, cost) for record, cost in zip(records, micros, strict=True)]
        await driver.executemany(_SQLITE_INSERT, rows)


def _values(record: UsageRecord, cost_micros: int) -> tuple[Any, ...]:
    """The row as the drivers take it (`cost_micros`: `to_micros(record.cost)`)."""
    if record.at.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return (
        record.id,
        record.at,
        record.user_id,
        record.api_key_id,
        record.conversation_id,
        record.endpoint,
        record.requested_model,
        record.served_model,
        record.provider,
        record.prompt_tokens,
        record.completion_tokens,
        record.tokens_estimated,
        cost_micros,
        record.latency_ms,
        record.ttft_ms,
        record.status.value,
        record.error_type,
    )


def _sqlite_values(record: UsageRecord, cost_micros: int) -> tuple[Any, ...]:
    """What SQLAlchemy binds on SQLite: UUIDs as 32 hex digits, UTC times as naive text with
    microseconds, booleans as 0/1; the rest as `_values` gives it. (ISO format with a space
    is that text, at a fraction of strftime's cost.)"""
    (id_, at, user_id, api_key_id, conversation_id, *middle, estimated, cost, latency, ttft,
     status, error_type) = _values(record, cost_micros)  # fmt: skip
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    return (
        id_.hex,
        at.isoformat(" ", "microseconds")[:26],  # without its "+00:00"
        user_id.hex,
        api_key_id.hex if api_key_id is not None else None,
        conversation_id.hex if conversation_id is not None else None,
        *middle,
        int(estimated),
        cost,
        latency,
        ttft,
        status,
        error_type,
    )


@functools.cache
def _upsert(dialect: str) -> Insert:
    """INSERT … ON CONFLICT DO UPDATE adding to the day's totals (both dialects spell it
    the same way; SQLAlchemy needs the dialect's own insert to say it). Built once per
    dialect, the values given as parameters: building it (its `excluded` columns, the
    values) cost more than running it."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(usage_daily)
    excluded = statement.excluded
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["day", "user_id", "model"],
        set_={
            "requests": usage_daily.c.requests + excluded.requests,
            "prompt_tokens": usage_daily.c.prompt_tokens + excluded.prompt_tokens,
            "completion_tokens": usage_daily.c.completion_tokens + excluded.completion_tokens,
            "cost_micros": usage_daily.c.cost_micros + excluded.cost_micros,
        },
    )
