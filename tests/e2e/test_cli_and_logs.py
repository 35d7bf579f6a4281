"""The CLI's create-admin, and logs that carry request ids but never a secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


def test_create_admin_then_sign_in_and_logs_hold_no_secrets(tmp_path: Path) -> None:
    env = {
        "PARLEY_SECRET_KEY": TEST_SECRET,
        "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "PARLEY_DATA_DIR": str(tmp_path),
        "PARLEY_ALLOW_REGISTRATION": "false",
        "PATH": "/usr/bin:/bin",
    }
    password = "an operator's passphrase"
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "parley.cli",
            "create-admin",
            "--email",
            "ops@example.com",
            "--username",
            "ops",
            "--password-stdin",
        ],
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "Admin ops" in created.stdout and password not in created.stdout + created.stderr
    weak = subprocess.run(
        [
            sys.executable,
            "-m",
            "parley.cli",
            "create-admin",
            "--email",
            "x@example.com",
            "--username",
            "weakling",
            "--password-stdin",
        ],
        input="short\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert weak.returncode == 1 and "Traceback" not in weak.stderr

    with ServerProcess({**env, "PARLEY_LOG_LEVEL": "info"}, tmp_path) as server:
        refused = httpx.post(
            f"{server.base_url}/v1/auth/register",
            json={"email": "a@example.com", "username": "someone", "password": password},
        )
        assert refused.status_code == 403  # registration is closed; the admin still exists
        tokens = httpx.post(
            f"{server.base_url}/v1/auth/login",
            json={"login": "ops", "password": password},
            headers={"X-Request-ID": "trace-me-123"},
        ).json()
        assert tokens["user"]["role"] == "admin"
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        key = httpx.post(
            f"{server.base_url}/v1/api-keys", headers=headers, json={"name": "k"}
        ).json()
        httpx.get(f"{server.base_url}/v1/me", headers={"X-API-Key": key["key"]})
    log = server.log_path.read_text()
    json_lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line.get("request_id") == "trace-me-123" for line in json_lines)
    for secret in (
        password,
        tokens["access_token"],
        tokens["refresh_token"],
        key["key"],
        TEST_SECRET,
    ):
        assert secret not in log
