"""`parley worker` processes on one PostgreSQL queue: a job outlives a killed worker, and
two workers never run the same job."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from parley.domain.jobs import JobStatus
from tests.support.workers import enqueue, run_log, wait_until_finished, workers

pytestmark = pytest.mark.slow


def test_a_job_survives_its_worker_being_killed_and_completes_after_a_restart(
    tmp_path: Path, postgres_url: str
) -> None:
    job_id = enqueue(postgres_url, "test.sleep", {"seconds": 2})
    fast_lease = {"PARLEY_JOB_LEASE_SECONDS": "1"}
    with workers(postgres_url, tmp_path, "doomed", **fast_lease) as (doomed,):
        deadline = time.monotonic() + 15
        while not any(event == "start" for event, *_ in run_log(tmp_path)):
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        doomed.kill()
    assert not any(event == "end" for event, *_ in run_log(tmp_path))

    with workers(postgres_url, tmp_path, "heir", **fast_lease):
        job = wait_until_finished(postgres_url, [job_id])[job_id]
    assert job.status is JobStatus.SUCCEEDED
    assert job.attempts == 2
    runs = run_log(tmp_path)
    starts = [(worker, attempt) for event, _, worker, attempt in runs if event == "start"]
    ends = [(worker, attempt) for event, _, worker, attempt in runs if event == "end"]
    assert len(starts) == 2 and starts[0][0] != starts[1][0]
    assert ends == [starts[1]]
    assert job.result == {"worker": starts[1][0]}


def test_two_workers_on_one_queue_never_run_the_same_job_twice(
    tmp_path: Path, postgres_url: str
) -> None:
    with workers(postgres_url, tmp_path, "one", "two"):
        ids = [enqueue(postgres_url, "test.sleep", {"seconds": 0.05}) for _ in range(60)]
        finished = wait_until_finished(postgres_url, ids, timeout=60)
    assert all(job.status is JobStatus.SUCCEEDED for job in finished.values())
    runs = run_log(tmp_path)
    starts = Counter(job_id for event, job_id, _, _ in runs if event == "start")
    assert starts == Counter({str(job_id): 1 for job_id in ids})
    by_worker = Counter(worker for event, _, worker, _ in runs if event == "end")
    assert len(by_worker) == 2, f"both workers should have taken jobs: {by_worker}"
    assert all(job.attempts == 1 for job in finished.values())
