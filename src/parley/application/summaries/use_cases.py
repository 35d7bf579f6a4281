"""`/v1/conversations/{id}/summarize` and `/summary`, the summary job, and the chat path's
request for a fresh summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from parley.application.conversations.access import ConversationAccess
from parley.application.jobs.handlers import JobAbandoned
from parley.application.jobs.submit import SubmitJob
from parley.application.ports.logger import Logger
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.application.summaries.workflow import SummaryWorkflow
from parley.domain.errors import FieldError, NotFound, ValidationFailed
from parley.domain.identity import CredentialKind, Principal
from parley.domain.jobs import Job
from parley.domain.summaries import Summary

SUMMARY_JOB = "conversation.summarize"


class SummaryNotFound(NotFound):
    detail = "This conversation has no summary yet."


@dataclass(frozen=True, slots=True)
class SummaryStarted:
    """The summary is being made in the background by `job`."""

    job: Job


def _dedupe_key(conversation_id: UUID) -> str:
    return f"conversation:{conversation_id}"


class SummarizeConversation:
    """Summarises the caller's conversation: inline when one model call will do (returns
    the `Summary`), otherwise as a background job (returns `SummaryStarted`; a summary job
    already pending for the conversation is returned rather than a second one queued).
    Raises `NotFound` for a missing or foreign conversation, the model's access errors,
    `ValidationFailed` for a conversation with nothing to summarise, and, inline,
    `ProviderError` subclasses."""

    def __init__(self, workflow: SummaryWorkflow, submit: SubmitJob) -> None:
        self._workflow = workflow
        self._submit = submit

    async def __call__(
        self, principal: Principal, conversation_id: UUID, model: str | None = None
    ) -> Summary | SummaryStarted:
        plan = await self._workflow.plan(principal, conversation_id, model)
        if plan.previous is None and not plan.lines:
            message = "The conversation has no messages to summarise."
            raise ValidationFailed([FieldError(("path", "conversation_id"), message)], message)
        if plan.up_to_date or self._workflow.fits_one_call(plan):
            return await self._workflow.run(plan)
        job = await self._submit(
            SUMMARY_JOB,
            {"conversation_id": str(conversation_id), "model": plan.model.name},
            user_id=principal.user_id,
            dedupe_key=_dedupe_key(conversation_id),
        )
        return SummaryStarted(job)


class GetSummary:
    """The latest summary of the caller's conversation. Raises `NotFound` when the
    conversation is missing or foreign, or has no summary."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal, conversation_id: UUID) -> Summary:
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(uow, principal.user_id, conversation_id)
            summary = await uow.summaries.latest(conversation.id)
        if summary is None:
            raise SummaryNotFound()
        return summary


class SummaryJobHandler:
    """Runs a `conversation.summarize` job as its owner would: their tier must still
    include the model. Abandons the job (no retry) when the owner or conversation is gone."""

    def __init__(self, uow_factory: UnitOfWorkFactory, workflow: SummaryWorkflow) -> None:
        self._uow_factory = uow_factory
        self._workflow = workflow

    async def __call__(self, job: Job) -> Mapping[str, Any]:
        principal = await self._owner(job)
        try:
            conversation_id = UUID(str(job.payload["conversation_id"]))
            model = str(job.payload["model"]) if job.payload.get("model") else None
        except (KeyError, ValueError) as error:
            raise JobAbandoned(f"Malformed summary job payload: {error}") from error
        plan = await self._workflow.plan(principal, conversation_id, model)
        if plan.previous is None and not plan.lines:
            raise JobAbandoned("The conversation has no messages to summarise.")
        summary = await self._workflow.run(plan)
        return {
            "summary_id": str(summary.id),
            "covers_until_message_id": str(summary.covers_until_message_id),
            "model": summary.model,
        }

    async def _owner(self, job: Job) -> Principal:
        if job.user_id is None:
            raise JobAbandoned("A summary job must belong to a user.")
        async with self._uow_factory() as uow:
            user = await uow.users.get(job.user_id)
        if user is None or not user.is_active:
            raise JobAbandoned("The owner of this job no longer has an active account.")
        return Principal(user.id, user.role, user.tier, user.status, CredentialKind.SESSION)


class ScheduleSummary:
    """Asks for a fresh summary of a conversation in the background (the chat path does,
    when the history no longer fits). Never raises: a summary that could not be queued is
    logged, and the next turn asks again."""

    def __init__(self, submit: SubmitJob, log: Logger) -> None:
        self._submit = submit
        self._log = log

    async def schedule(self, user_id: UUID, conversation_id: UUID, model: str) -> None:
        try:
            await self._submit(
                SUMMARY_JOB,
                {"conversation_id": str(conversation_id), "model": model},
                user_id=user_id,
                dedupe_key=_dedupe_key(conversation_id),
            )
        except Exception:
            self._log.exception("summary_schedule_failed", conversation_id=str(conversation_id))
