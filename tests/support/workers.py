"""`parley worker` processes, and jobs put straight into the queue, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parley.adapters.clock import SystemClock
from parley.adapters.jobs.testing import RUN_LOG
from parley.adapters.sql.engine import create_engine, create_session_factory
from parley.adapters.sql.job_queue import SqlJobQueue
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.domain.jobs import Job, JobStatus
from tests.conftest import TEST_SECRET
from tests.support.services import run_blocking


class WorkerProcess:
    """A `parley worker` with test job kinds on, writing its log under `data_dir`."""

    def __init__(self, database_url: str, data_dir: Path, name: str, **env: str) -> None:
        self.log_path = data_dir / f"worker-{name}.log"
        self._env = {
            **os.environ,
            "PARLEY_DATA_DIR": str(data_dir),
            "PARLEY_DATABASE_URL": database_url,
            "PARLEY_SECRET_KEY": TEST_SECRET,
            "PARLEY_AUTO_MIGRATE": "false",
            "PARLEY_ENABLE_TEST_JOBS": "true",
            "PARLEY_LOG_LEVEL": "info",
            "PARLEY_LOG_JSON": "true",
            "PARLEY_JOB_POLL_SECONDS": "0.05",
            **env,
        }
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> WorkerProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "parley.cli", "worker"],
            env=self._env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while "worker_started" not in self.log_path.read_text():
            if self._process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()}")
            assert time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(10)

    def stop(self, timeout: float = 20.0) -> int | None:
        if self._process is None or self._process.poll() is not None:
            return self._process.returncode if self._process else None
        self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait()


@contextmanager
def workers(
    database_url: str, data_dir: Path, *names: str, **env: str
) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    try:
        for name in names:
            started.append(WorkerProcess(database_url, data_dir, name, **env).start())
        yield started
    finally:
        for process in started:
            process.stop()


def enqueue(
    database_url: str, kind: str, payload: dict[str, Any], max_attempts: int = 3
) -> uuid.UUID:
    async def go() -> uuid.UUID:
        engine = create_engine(database_url)
        try:
            now = datetime.now(UTC)
            job = Job(
                id=uuid.uuid4(),
                kind=kind,
                payload=payload,
                status=JobStatus.QUEUED,
                created_at=now,
                updated_at=now,
                run_at=now,
                max_attempts=max_attempts,
            )
            await SqlJobQueue(create_session_factory(engine), SystemClock()).enqueue(job)
            return job.id
        finally:
            await engine.dispose()

    result: uuid.UUID = run_blocking(go())
    return result


def jobs_by_id(database_url: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, Job]:
    async def go() -> dict[uuid.UUID, Job]:
        engine = create_engine(database_url)
        try:
            async with SqlUnitOfWork(engine) as uow:
                found = {job_id: await uow.jobs.get(job_id) for job_id in ids}
            return {job_id: job for job_id, job in found.items() if job is not None}
        finally:
            await engine.dispose()

    result: dict[uuid.UUID, Job] = run_blocking(go())
    return result


def wait_until_finished(
    database_url: str, ids: list[uuid.UUID], timeout: float = 30.0
) -> dict[uuid.UUID, Job]:
    deadline = time.monotonic() + timeout
    while True:
        found = jobs_by_id(database_url, ids)
        if len(found) == len(ids) and all(job.finished for job in found.values()):
            return found
        assert time.monotonic() < deadline, {str(k): v.status for k, v in found.items()}
        time.sleep(0.1)


def run_log(data_dir: Path) -> list[tuple[str, str, str, int]]:
    """(event, job id, worker, attempt) for every line the test job kinds wrote."""
    path = data_dir / RUN_LOG
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text().splitlines()]
    return [(event, job_id, worker, int(attempt)) for event, job_id, worker, attempt in lines]
