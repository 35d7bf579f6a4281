"""SIGTERM under load: every answered request's usage record is stored."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
PASSWORD = "a perfectly fine passphrase"


def test_nothing_is_lost_when_the_server_is_stopped_under_load(tmp_path: Path) -> None:
    database = tmp_path / "shutdown.db"
    env = {
        "PARLEY_SECRET_KEY": TEST_SECRET,
        "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        # Nothing is flushed on a timer during the test: only the shutdown flush can save them.
        "PARLEY_USAGE_FLUSH_SECONDS": "3600",
    }
    server = ServerProcess(env, tmp_path).start()
    base = server.base_url
    httpx.post(
        f"{base}/v1/auth/register",
        json={"email": "root@example.com", "username": "root", "password": PASSWORD},
    ).raise_for_status()
    token = httpx.post(f"{base}/v1/auth/login", json={"login": "root", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    body = {"model": "echo", "messages": [{"role": "user", "content": "load"}]}
    answered = 0
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        nonlocal answered
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    response = client.post(
                        f"{base}/v1/chat/completions", headers=headers, json=body
                    )
                except httpx.HTTPError:
                    return  # the server is going away
                if response.status_code == 200:
                    with lock:
                        answered += 1

    workers = [threading.Thread(target=load) for _ in range(8)]
    for worker in workers:
        worker.start()
    time.sleep(2.0)
    # Uvicorn shuts down gracefully, then re-raises the signal so the exit status says why.
    assert server.stop(signal.SIGTERM, timeout=30) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log_path.read_text()
    stop.set()
    for worker in workers:
        worker.join(10)
    assert answered > 50
    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT count(*) FROM usage_logs WHERE status = 'success'"
        ).fetchone()[0]
    assert stored >= answered, f"{answered} answered, only {stored} usage records stored"
