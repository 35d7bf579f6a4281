"""Job kinds for Parley's own tests, registered only when `PARLEY_ENABLE_TEST_JOBS` is on.

`test.sleep` writes a `start` and an `end` line to `<data dir>/test-job-runs.log` (one
appended line each, which O_APPEND keeps whole across processes) around sleeping
`payload["seconds"]`, so that tests can see which worker ran which job, and how often.
`test.fail` always fails with `payload["message"]`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parley.application.jobs.handlers import JobHandler
from parley.domain.jobs import Job

RUN_LOG = "test-job-runs.log"


class SleepJob:
    def __init__(self, data_dir: Path, worker_name: str) -> None:
        self._log = data_dir / RUN_LOG
        self._worker = worker_name

    async def __call__(self, job: Job) -> Mapping[str, Any]:
        self._write("start", job)
        await asyncio.sleep(float(job.payload.get("seconds", 0)))
        self._write("end", job)
        return {"worker": self._worker}

    def _write(self, event: str, job: Job) -> None:
        line = f"{event} {job.id} {self._worker} {job.attempts}\n".encode()
        descriptor = os.open(self._log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)


class FailingJob:
    async def __call__(self, job: Job) -> Mapping[str, Any]:
        raise RuntimeError(str(job.payload.get("message", "test job failed")))


def testing_job_handlers(data_dir: Path, worker_name: str) -> dict[str, JobHandler]:
    return {"test.sleep": SleepJob(data_dir, worker_name), "test.fail": FailingJob()}
