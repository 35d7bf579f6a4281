"""Usage records and daily roll-ups in SQL. Costs are stored as integer micro-units, exact
on both databases and safe to add up in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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


def _rollup_key(record: UsageRecord) -> tuple[str, Any, str]:
    return (
        record.at.date().isoformat(),
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
        for record in records:
            totals = rollups.setdefault(_rollup_key(record), [0, 0, 0, 0])
            totals[0] += 1
            totals[1] += record.prompt_tokens
            totals[2] += record.completion_tokens
            totals[3] += to_micros(record.cost)
        async with self._session_factory() as session:
            await session.execute(insert(usage_logs), [_row(record) for record in records])
            dialect = session.bind.dialect.name if session.bind else "sqlite"
            for (day, user_id, model), (count, prompt, completion, micros) in sorted(
                rollups.items(), key=lambda item: (item[0][0], str(item[0][1]), item[0][2])
            ):
                await session.execute(
                    _upsert(dialect).values(
                        day=day,
                        user_id=user_id,
                        model=model,
                        requests=count,
                        prompt_tokens=prompt,
                        completion_tokens=completion,
                        cost_micros=micros,
                    )
                )
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


def _upsert(dialect: str) -> Insert:
    """INSERT … ON CONFLICT DO UPDATE adding to the day's totals (both dialects spell it
    the same way; SQLAlchemy needs the dialect's own insert to say it)."""
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
