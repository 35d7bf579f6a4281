"""Shared fixtures: databases (SQLite always, PostgreSQL where present), Redis, and an app
wired like production but with cheap password hashing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from parley.adapters.security.passwords import Argon2PasswordHasher
from parley.api.app import create_app
from parley.container import Container, build_container
from parley.settings import Settings
from tests.support.server import served_over_http
from tests.support.services import (
    REDIS_URL,
    copy_sqlite,
    fresh_postgres_database,
    migrated_sqlite_template,
    postgres_available,
    redis_available,
    run_blocking,
    truncate_postgres,
)

pytest_plugins = ["tests.support.s3"]

TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template")) as path:
        yield path


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    postgres_available()
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def postgres_url(postgres_session_url: str) -> str:
    await truncate_postgres(postgres_session_url)
    return postgres_session_url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return copy_sqlite(sqlite_template, tmp_path / "parley.db")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return copy_sqlite(sqlite_template, tmp_path / "parley.db")
    url: str = request.getfixturevalue("postgres_session_url")
    run_blocking(truncate_postgres(url))
    return url


@pytest.fixture
async def redis_url() -> str:
    redis_available()
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()
    return REDIS_URL


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "auto_migrate": False,
        "log_json": False,
        "log_level": "warning",
        "retry_base_delay_seconds": 0.01,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@contextlib.asynccontextmanager
async def serve_app(
    settings: Settings, *, over_http: bool = False, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Container]]:
    """The real app and container, talked to in-process over ASGI — or, `over_http`, over
    loopback TCP through `parley serve`'s HTTP protocol (uvicorn in this event loop)."""
    overrides.setdefault("hasher", Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024))
    container = build_container(settings, **overrides)
    await container.startup()

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[Any]:
        yield container.services

    app = create_app(lifespan, settings)
    try:
        if over_http:
            async with (
                served_over_http(app) as loopback,
                httpx.AsyncClient(transport=loopback, base_url="http://parley.test") as client,
            ):
                yield client, container
            return
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://parley.test"
            ) as client:
                yield client, container
    finally:
        await container.aclose()


@pytest.fixture
async def app_and_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Container]]:
    async with serve_app(settings) as pair:
        yield pair


@pytest.fixture
def client(app_and_client: tuple[httpx.AsyncClient, Container]) -> httpx.AsyncClient:
    return app_and_client[0]


@pytest.fixture
def container(app_and_client: tuple[httpx.AsyncClient, Container]) -> Container:
    return app_and_client[1]


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs() -> None:
    from parley.log import configure_logging

    configure_logging("warning", json_output=False)
