"""One engine factory for both databases: SQLite pragmas, or the PostgreSQL pool."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

from parley.adapters.sql.sqlite_driver import OneTripDbapi


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> AsyncEngine:
    """SQLite: one pooled connection, WAL, foreign keys, a busy timeout (for other processes),
    and `BEGIN IMMEDIATE` so that a read transaction never fails turning into a write.
    PostgreSQL: a pre-pinged pool sized for one replica."""
    if is_sqlite(url):
        # One connection: SQLite runs one write transaction at a time anyway, and writers
        # that wait on its lock poll with sleeps of up to 100 ms (multi-second p99s under
        # load, bench/NOTES.md); waiting in the pool's queue instead is first-come first-served.
        options: dict[str, Any] = {}
        if make_url(url).get_driver_name() == "aiosqlite":
            options["module"] = OneTripDbapi()  # one trip to aiosqlite's thread per statement
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_reset_on_return=None,  # _on_reset below
            **options,
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the driver so "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=30000",
            "PRAGMA synchronous=NORMAL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(
        dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, state: PoolResetState
    ) -> None:
        # The pool's default reset rolls back on every return, committed or not: with
        # aiosqlite, one more round trip to its thread per transaction. Only a transaction
        # still open needs it (sqlite3 knows, without a round trip).
        driver = record.driver_connection
        if not state.terminate_only and (driver is None or driver.in_transaction):
            dbapi_connection.rollback()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
