"""Two `parley serve` processes on one PostgreSQL and one Redis."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


def test_a_session_revoked_through_one_process_is_refused_by_the_other_within_a_second(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    env = {
        "PARLEY_DATABASE_URL": postgres_url,
        "PARLEY_REDIS_URL": redis_url,
        "PARLEY_SECRET_KEY": TEST_SECRET,
    }
    with ServerProcess(env, tmp_path) as one, ServerProcess(env, tmp_path) as two:
        password = "a perfectly fine passphrase"
        httpx.post(
            f"{one.base_url}/v1/auth/register",
            json={"email": "a@example.com", "username": "alice", "password": password},
        ).raise_for_status()
        tokens = httpx.post(
            f"{one.base_url}/v1/auth/login", json={"login": "alice", "password": password}
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert httpx.get(f"{two.base_url}/v1/me", headers=headers).status_code == 200
        assert httpx.post(f"{one.base_url}/v1/auth/logout", headers=headers).status_code == 204
        revoked_at = time.monotonic()
        while httpx.get(f"{two.base_url}/v1/me", headers=headers).status_code != 401:
            assert time.monotonic() - revoked_at < 1.0, "the other process still accepts it"
            time.sleep(0.02)
