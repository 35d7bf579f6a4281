"""The database itself refuses to rewrite the audit trail, whatever the application does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from parley.adapters.sql.engine import create_engine


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_logs SET action = 'forged' WHERE id = :id",
        "UPDATE audit_logs SET details = '{}'",
        "DELETE FROM audit_logs WHERE id = :id",
        "DELETE FROM audit_logs",
    ],
)
async def test_update_and_delete_are_refused(database_url: str, statement: str) -> None:
    engine = create_engine(database_url)
    event_id = uuid.uuid4()
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO audit_logs (id, at, action, outcome, details) "
                    "VALUES (:id, :at, 'test.event', 'success', '{}')"
                ),
                {"id": _id_param(database_url, event_id), "at": datetime.now(UTC)},
            )
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement), {"id": _id_param(database_url, event_id)})
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT action FROM audit_logs"))).one()
        assert row.action == "test.event"
    finally:
        await engine.dispose()


def _id_param(database_url: str, event_id: uuid.UUID) -> object:
    # SQLAlchemy's Uuid stores 32 hex digits on SQLite; PostgreSQL takes a native uuid.
    return event_id.hex if database_url.startswith("sqlite") else event_id
