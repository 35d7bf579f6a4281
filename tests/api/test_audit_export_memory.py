"""A large audit export streams in constant memory: the app never holds the table."""

from __future__ import annotations

import asyncio
import contextlib
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from parley.adapters.security.passwords import Argon2PasswordHasher
from parley.api.app import create_app
from parley.container import build_container
from tests.conftest import make_settings, serve_app
from tests.support.users import sign_up

ROWS = 200_000
NOTE = 120  # characters of padding per row, so the export is tens of megabytes

POSTGRES_BULK = f"""
INSERT INTO audit_logs (id, at, actor_ip, action, target_type, target_id, outcome, details)
SELECT gen_random_uuid(), now() - n * interval '1 millisecond', '198.51.100.' || (n % 250),
       'test.bulk', 'user', md5(n::text), 'success',
       jsonb_build_object('n', n, 'note', repeat('x', {NOTE}))
FROM generate_series(1, {ROWS}) AS n
"""

# SQLAlchemy stores SQLite datetimes as text with six fractional digits; keep that shape so
# the rows compare like ones the app writes.
SQLITE_BULK = f"""
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {ROWS})
INSERT INTO audit_logs (id, at, actor_ip, action, target_type, target_id, outcome, details)
SELECT lower(hex(randomblob(16))),
       strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || n || ' seconds') || '.000000',
       '198.51.100.' || (n % 250), 'test.bulk', 'user', hex(randomblob(16)), 'success',
       json_object('n', n, 'note', printf('%.{NOTE}c', 'x'))
FROM seq
"""


async def _stream(
    app: Any, path: str, headers: dict[str, str]
) -> tuple[int, int, int, dict[str, str]]:
    """Drive the ASGI app directly and drop each chunk once counted (an HTTP client would
    buffer the body). Returns (status, bytes, lines, headers)."""
    route, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.7", 4321),
        "server": ("parley.test", 80),
        "root_path": "",
    }
    sent_request = False
    never = asyncio.Event()
    result = {"status": 0, "bytes": 0, "lines": 0, "headers": {}}

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            result["status"] = message["status"]
            result["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            result["bytes"] += len(body)
            result["lines"] += body.count(b"\n")

    await app(scope, receive, send)
    return result["status"], result["bytes"], result["lines"], result["headers"]


@contextlib.asynccontextmanager
async def _app(settings: Any) -> AsyncIterator[tuple[Any, Any]]:
    container = build_container(
        settings, hasher=Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)
    )

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[Any]:
        yield container.services

    app = create_app(lifespan, settings)
    try:
        async with app.router.lifespan_context(app):
            yield app, container
    finally:
        await container.aclose()


@pytest.mark.slow  # ~45 s per database: tracemalloc slows every allocation
async def test_large_export_streams_in_constant_memory(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    async with serve_app(settings) as (client, _container):
        admin = await sign_up(client, "root")

    async with _app(settings) as (app, container):
        bulk = SQLITE_BULK if database_url.startswith("sqlite") else POSTGRES_BULK
        async with container.engine.begin() as connection:
            await connection.execute(text(bulk))

        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            status, size, lines, headers = await _stream(
                app, "/v1/audit/export?format=jsonl", admin.headers
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        async with container.engine.connect() as connection:
            total = (await connection.execute(text("SELECT count(*) FROM audit_logs"))).scalar_one()

    assert status == 200
    assert headers["content-disposition"].startswith("attachment;")
    assert total >= ROWS
    assert lines == total  # every row once, the export's own audit event included
    assert size > 40_000_000
    # The app's peak during the whole stream is a small, fixed fraction of what it sent.
    assert peak < 16_000_000, f"peak {peak / 1e6:.1f} MB for {size / 1e6:.1f} MB streamed"
    assert peak * 5 < size
