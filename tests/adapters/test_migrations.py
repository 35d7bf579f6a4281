"""The migrations on SQLite and PostgreSQL: up, down, up again; concurrent runs serialised;
the audit table refuses rewrites."""

from __future__ import annotations

import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from parley.adapters.sql.engine import create_engine
from parley.adapters.sql.migrate import downgrade, upgrade
from tests.support.services import fresh_postgres_database, postgres_available


def test_sqlite_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, url).result()
        pool.submit(downgrade, url, "base").result()
        pool.submit(upgrade, url).result()


def test_postgres_concurrent_migrations_are_serialised() -> None:
    postgres_available()
    with fresh_postgres_database() as url:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(downgrade, url, "base").result()
        # Two processes migrating at once: the advisory lock makes the second wait, then find
        # nothing to do, instead of failing on tables that already exist.
        env_url = url
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "parley.cli", "migrate"],
                env={"PARLEY_DATABASE_URL": env_url, "PATH": "/usr/bin:/bin"},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0].decode() for p in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs


def test_a_failing_migration_stops_with_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "parley.cli", "migrate"],
        env={
            "PARLEY_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Migration failed" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_logs SET action = 'x'", "DELETE FROM audit_logs"]
)
async def test_audit_rows_cannot_be_rewritten(database_url: str, statement: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO audit_logs (id, at, action, outcome, details) "
                    "VALUES (:id, :at, 'test.event', 'success', '{}')"
                ),
                {
                    "id": uuid.uuid4().hex if "sqlite" in database_url else uuid.uuid4(),
                    "at": datetime.now(UTC),
                },
            )
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
