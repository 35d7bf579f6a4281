"""What a started Parley keeps resident: modules that only optional features use are
imported when first used, not at start-up (idle RSS is a target: bench/NOTES.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SECRET

SCRIPT = """
import asyncio, sys
from parley.container import build_container
from parley.settings import Settings

async def main() -> None:
    settings = Settings(
        data_dir=sys.argv[1],
        database_url=f"sqlite+aiosqlite:///{sys.argv[1]}/parley.db",
        secret_key=sys.argv[2],
        log_level="warning",
    )
    container = build_container(settings)
    await container.startup()
    try:
        print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
    finally:
        await container.aclose()

asyncio.run(main())
"""


def test_a_started_container_has_not_imported_what_only_optional_features_use(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "PARLEY_DATA_DIR": str(tmp_path),
        "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/parley.db",
        "PARLEY_SECRET_KEY": TEST_SECRET,
    }
    migrated = subprocess.run(
        [sys.executable, "-m", "parley.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), TEST_SECRET],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "sqlalchemy" in loaded  # the script really started one
    # aiohttp: webhook tools and the incident webhook; mcp: MCP tools; redis, asyncpg,
    # alembic: other deployments and the migration command.
    assert not loaded & {"aiohttp", "mcp", "redis", "asyncpg", "alembic"}
