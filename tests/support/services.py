"""Finding the real PostgreSQL and Redis the tests use: skipped with a reason where absent,
required (a failure, not a skip) when CI=true."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "PARLEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# One Redis database per xdist worker, so parallel workers never flush each other's keys.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
REDIS_URL = os.environ.get(
    "PARLEY_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - int(_WORKER or 0) % 8}"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if in_ci():
        pytest.fail(f"{message}, and CI=true makes it required", pytrace=False)
    pytest.skip(f"{message}; these tests need a real {name}")


def postgres_available() -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)


def redis_available() -> None:
    require_service("Redis", "127.0.0.1", 6379)


def run_blocking(coroutine: Any) -> Any:
    """Run a coroutine to completion on a private loop in a helper thread, so that it works
    from sync code and from inside a running event loop alike."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _admin_execute(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, migrated database for this test session; dropped at the end."""
    from parley.adapters.sql.migrate import upgrade

    name = f"parley_test_{uuid.uuid4().hex[:10]}"
    run_blocking(_admin_execute(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(upgrade, url).result()
        yield url
    finally:
        run_blocking(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def truncate_postgres(url: str) -> None:
    """Empty every table but Alembic's (TRUNCATE is not stopped by the audit row triggers)."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await connection.execute(f"TRUNCATE {names} CASCADE")
    finally:
        await connection.close()


@contextmanager
def migrated_sqlite_template(directory: Path) -> Iterator[Path]:
    from parley.adapters.sql.migrate import upgrade

    path = directory / "template.db"
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(upgrade, f"sqlite+aiosqlite:///{path}").result()
    yield path


def copy_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"
