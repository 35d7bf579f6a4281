"""The job worker: claims jobs, runs them under a renewed lease, records how they ended.

The same loop runs inside `parley serve` (the embedded default) and in `parley worker`
processes (scale-out); the queue behind it decides how they coordinate."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from parley.application.jobs.handlers import JobHandler, describe, is_permanent
from parley.application.ports.clock import Clock
from parley.application.ports.jobs import JobQueue
from parley.application.ports.logger import Logger, SilentLogger
from parley.domain.jobs import Job


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    concurrency: int = 4
    poll_seconds: float = 1.0
    lease_seconds: float = 30.0
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    shutdown_grace_seconds: float = 10.0

    def backoff(self, attempts: int) -> timedelta:
        """Exponential: base, twice that, four times, ... up to the cap."""
        seconds = self.retry_base_seconds * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.retry_max_seconds))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobWorker:
    """Runs jobs until `stop()`. Up to `concurrency` at once; each one's lease is renewed
    while it runs, and a job whose lease was lost (this worker stalled past it and another
    took the job over) is cancelled here rather than run twice to completion."""

    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, JobHandler],
        clock: Clock,
        options: WorkerOptions,
        name: str | None = None,
        log: Logger | None = None,
    ) -> None:
        self._log = log or SilentLogger()
        self._queue = queue
        self._handlers = dict(handlers)
        self._clock = clock
        self._options = options
        self.name = name or worker_name()
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        """Stop claiming; `run()` returns once running jobs are finished or released."""
        self._stopping.set()

    async def run(self) -> None:
        self._log.info("worker_started", worker=self.name, kinds=sorted(self._handlers))
        slots = asyncio.Semaphore(self._options.concurrency)
        next_recovery = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not self._stopping.is_set():
                if loop.time() >= next_recovery:
                    next_recovery = loop.time() + self._options.lease_seconds / 2
                    await self._recover()
                await slots.acquire()
                job = await self._claim()
                if job is None:
                    slots.release()
                    await self._idle()
                    continue
                task = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
                self._running.add(task)
                task.add_done_callback(self._running.discard)
                task.add_done_callback(lambda _: slots.release())
        finally:
            await self._drain()
            self._log.info("worker_stopped", worker=self.name)

    async def _claim(self) -> Job | None:
        try:
            return await self._queue.claim(
                self.name, timedelta(seconds=self._options.lease_seconds)
            )
        except Exception:
            self._log.exception("job_claim_failed", worker=self.name)
            return None

    async def _recover(self) -> None:
        try:
            recovered = await self._queue.recover_expired()
        except Exception:
            self._log.exception("job_recovery_failed", worker=self.name)
            return
        if recovered:
            self._log.warning("jobs_recovered", count=recovered, worker=self.name)

    async def _idle(self) -> None:
        waiting = asyncio.ensure_future(self._queue.wait_for_work(self._options.poll_seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in (waiting, stopping):
                future.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await future

    async def _drain(self) -> None:
        if not self._running:
            return
        _, pending = await asyncio.wait(
            set(self._running), timeout=self._options.shutdown_grace_seconds
        )
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def _execute(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        if handler is None:
            await self._queue.fail(
                job.id, self.name, f"No handler for job kind '{job.kind}'.", None
            )
            return
        work = asyncio.create_task(handler(job))
        keeper = asyncio.create_task(self._keep_lease(job, work))
        try:
            result = await work
        except asyncio.CancelledError:
            if keeper.done() and keeper.result() is False:
                self._log.warning("job_lease_lost", job_id=str(job.id), worker=self.name)
                return
            work.cancel()
            with contextlib.suppress(Exception):
                await asyncio.shield(self._queue.release(job.id, self.name))
            self._log.info("job_released", job_id=str(job.id), worker=self.name)
            raise
        except Exception as error:
            await self._record_failure(job, error)
            return
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        await self._queue.succeed(job.id, self.name, result)
        self._log.info("job_succeeded", job_id=str(job.id), kind=job.kind, attempts=job.attempts)

    async def _keep_lease(self, job: Job, work: asyncio.Task[Mapping[str, object]]) -> bool:
        lease = timedelta(seconds=self._options.lease_seconds)
        while True:
            await asyncio.sleep(self._options.lease_seconds / 3)
            try:
                held = await self._queue.renew(job.id, self.name, lease)
            except Exception:
                self._log.exception("job_lease_renewal_failed", job_id=str(job.id))
                continue
            if not held:
                work.cancel()
                return False

    async def _record_failure(self, job: Job, error: Exception) -> None:
        message = describe(error)
        retry = not is_permanent(error) and job.attempts < job.max_attempts
        retry_at = self._clock.now() + self._options.backoff(job.attempts) if retry else None
        await self._queue.fail(job.id, self.name, message, retry_at)
        self._log.warning(
            "job_attempt_failed",
            job_id=str(job.id),
            kind=job.kind,
            attempts=job.attempts,
            will_retry=retry,
            error=message,
        )
