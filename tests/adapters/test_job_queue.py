"""The SQL job queue on SQLite and PostgreSQL: claiming, leases, retries, recovery."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parley.adapters.clock import SystemClock
from parley.adapters.sql.engine import create_engine, create_session_factory
from parley.adapters.sql.job_queue import LOST_WORKER_ERROR, SqlJobQueue
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.application.jobs.worker import JobWorker, WorkerOptions
from parley.container import Container
from parley.domain.jobs import Job, JobStatus
from tests.conftest import make_settings, serve_app

LEASE = timedelta(seconds=30)


@pytest.fixture
async def queue(database_url: str) -> AsyncIterator[tuple[SqlJobQueue, SqlUnitOfWork]]:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    yield SqlJobQueue(factory, SystemClock()), SqlUnitOfWork(engine)
    await engine.dispose()


def new_job(kind: str = "test.sleep", max_attempts: int = 3, delay: float = 0) -> Job:
    now = datetime.now(UTC)
    return Job(
        id=uuid.uuid4(),
        kind=kind,
        payload={"seconds": 0},
        status=JobStatus.QUEUED,
        created_at=now,
        updated_at=now,
        run_at=now + timedelta(seconds=delay),
        max_attempts=max_attempts,
    )


async def stored(uow: SqlUnitOfWork, job_id: uuid.UUID) -> Job:
    async with uow:
        job = await uow.jobs.get(job_id)
    assert job is not None
    return job


async def test_concurrent_claims_hand_each_job_to_exactly_one_worker(
    queue: tuple[SqlJobQueue, SqlUnitOfWork],
) -> None:
    jobs_queue, _ = queue
    ids: set[uuid.UUID] = set()
    for _ in range(20):
        job = new_job()
        ids.add(job.id)
        await jobs_queue.enqueue(job)

    async def drain(name: str) -> list[uuid.UUID]:
        taken = []
        while (job := await jobs_queue.claim(name, LEASE)) is not None:
            taken.append(job.id)
        return taken

    results = await asyncio.gather(*(drain(f"w{i}") for i in range(5)))
    claimed = [job_id for taken in results for job_id in taken]
    assert sorted(claimed) == sorted(ids)


async def test_a_job_not_yet_due_is_not_claimed(queue: tuple[SqlJobQueue, SqlUnitOfWork]) -> None:
    jobs_queue, _ = queue
    await jobs_queue.enqueue(new_job(delay=60))
    assert await jobs_queue.claim("w", LEASE) is None


async def test_an_expired_lease_is_recovered_and_the_old_worker_can_no_longer_finish_it(
    queue: tuple[SqlJobQueue, SqlUnitOfWork],
) -> None:
    jobs_queue, uow = queue
    job = new_job(max_attempts=2)
    await jobs_queue.enqueue(job)
    assert await jobs_queue.claim("dead", timedelta(seconds=-1)) is not None
    assert await jobs_queue.recover_expired() == 1
    requeued = await stored(uow, job.id)
    assert requeued.status is JobStatus.QUEUED and requeued.error == LOST_WORKER_ERROR
    assert not await jobs_queue.renew(job.id, "dead", LEASE)
    again = await jobs_queue.claim("alive", timedelta(seconds=-1))
    assert again is not None and again.attempts == 2
    await jobs_queue.succeed(job.id, "dead", {"late": True})
    assert (await stored(uow, job.id)).status is JobStatus.RUNNING
    # Out of attempts: a second lost lease fails it.
    assert await jobs_queue.recover_expired() == 1
    failed = await stored(uow, job.id)
    assert failed.status is JobStatus.FAILED and failed.finished_at is not None


async def test_release_gives_the_job_back_without_counting_the_attempt(
    queue: tuple[SqlJobQueue, SqlUnitOfWork],
) -> None:
    jobs_queue, uow = queue
    job = new_job()
    await jobs_queue.enqueue(job)
    await jobs_queue.claim("w", LEASE)
    await jobs_queue.release(job.id, "w")
    released = await stored(uow, job.id)
    assert released.status is JobStatus.QUEUED and released.attempts == 0


async def test_a_failing_job_is_retried_with_backoff_then_fails_with_its_error(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        enable_test_jobs=True,
        job_poll_seconds=0.02,
        job_retry_base_seconds=0.2,
    )
    async with serve_app(settings) as (_, container):
        queue = SqlJobQueue(create_session_factory(container.engine), SystemClock())
        job = new_job(kind="test.fail", max_attempts=3)
        job.payload = {"message": "the disk is on fire"}
        started = asyncio.get_running_loop().time()
        await queue.enqueue(job)
        uow_job = None
        deadline = started + 10
        while asyncio.get_running_loop().time() < deadline:
            async with container_uow(container) as uow:
                uow_job = await uow.jobs.get(job.id)
            if uow_job is not None and uow_job.finished:
                break
            await asyncio.sleep(0.02)
        elapsed = asyncio.get_running_loop().time() - started
    assert uow_job is not None
    assert uow_job.status is JobStatus.FAILED
    assert uow_job.attempts == 3
    assert uow_job.error == "RuntimeError: the disk is on fire"
    # Two waits between three attempts: 0.2 s, then 0.4 s.
    assert elapsed >= 0.6


def container_uow(container: Container) -> SqlUnitOfWork:
    return SqlUnitOfWork(container.engine)


async def test_a_stopping_worker_releases_the_job_it_could_not_finish(
    queue: tuple[SqlJobQueue, SqlUnitOfWork],
) -> None:
    jobs_queue, uow = queue
    started = asyncio.Event()

    class Forever:
        async def __call__(self, job: Job) -> dict[str, object]:
            started.set()
            await asyncio.sleep(3600)
            return {}

    worker = JobWorker(
        jobs_queue,
        {"forever": Forever()},
        SystemClock(),
        WorkerOptions(poll_seconds=0.02, shutdown_grace_seconds=0.1),
        name="w",
    )
    job = new_job(kind="forever")
    await jobs_queue.enqueue(job)
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), 5)
    worker.stop()
    await asyncio.wait_for(running, 5)
    released = await stored(uow, job.id)
    assert released.status is JobStatus.QUEUED and released.attempts == 0
