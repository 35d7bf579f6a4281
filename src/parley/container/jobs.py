"""Background jobs: the queue, conversation summaries (the one job kind so far), and the
worker that runs them."""

from __future__ import annotations

from dataclasses import dataclass

from parley.adapters.jobs.testing import testing_job_handlers
from parley.adapters.sql.job_queue import SqlJobQueue
from parley.application.jobs.handlers import JobHandler
from parley.application.jobs.submit import GetJob, SubmitJob
from parley.application.jobs.worker import JobWorker, WorkerOptions, worker_name
from parley.application.ports.usage_sink import ModelUsageSink
from parley.application.services import JobServices
from parley.application.summaries.map_reduce import MapReduceSummarizer
from parley.application.summaries.use_cases import (
    SUMMARY_JOB,
    GetSummary,
    ScheduleSummary,
    SummarizeConversation,
    SummaryJobHandler,
)
from parley.application.summaries.workflow import SummaryWorkflow
from parley.application.usage.recorder import ModelUsageRecords
from parley.container.chat import ChatPath
from parley.container.infrastructure import Infrastructure
from parley.log import get_logger
from parley.settings import Settings


@dataclass(frozen=True)
class Jobs:
    services: JobServices
    worker: JobWorker
    # A chat turn schedules a summary when a conversation outgrows its context window.
    schedule_summary: ScheduleSummary


def wire_jobs(
    infra: Infrastructure, path: ChatPath, model_usage: ModelUsageSink | None = None
) -> Jobs:
    """`model_usage` replaces where summaries record the tokens they spend (tests)."""
    uow_factory, clock, settings = infra.uow_factory, infra.clock, infra.settings
    queue = SqlJobQueue(infra.session_factory, clock)
    submit = SubmitJob(uow_factory, queue, clock, settings.job_max_attempts)
    workflow = SummaryWorkflow(
        uow_factory,
        path.access,
        MapReduceSummarizer(path.router, settings.summary_parallelism),
        clock,
        model_usage or ModelUsageRecords(path.usage_sink, clock),
    )
    name = worker_name()
    handlers: dict[str, JobHandler] = {SUMMARY_JOB: SummaryJobHandler(uow_factory, workflow)}
    if settings.enable_test_jobs:
        handlers.update(testing_job_handlers(settings.data_dir, name))
    worker = JobWorker(
        queue, handlers, clock, worker_options(settings), name=name, log=get_logger("parley.jobs")
    )
    services = JobServices(
        get_job=GetJob(uow_factory),
        summarize=SummarizeConversation(workflow, submit),
        get_summary=GetSummary(uow_factory),
    )
    return Jobs(services, worker, ScheduleSummary(submit, get_logger("parley.summaries")))


def worker_options(settings: Settings) -> WorkerOptions:
    return WorkerOptions(
        concurrency=settings.worker_concurrency,
        poll_seconds=settings.job_poll_seconds,
        lease_seconds=settings.job_lease_seconds,
        retry_base_seconds=settings.job_retry_base_seconds,
        retry_max_seconds=settings.job_retry_max_seconds,
        shutdown_grace_seconds=settings.worker_shutdown_grace_seconds,
    )
