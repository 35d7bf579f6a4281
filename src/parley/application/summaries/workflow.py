"""Making a summary of a conversation: read what the last summary did not cover, summarise
it (continuing from that summary), store the result with its usage and cost."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from parley.application.chat.access import ModelAccess
from parley.application.conversations.access import ConversationAccess
from parley.application.pagination import Keyset
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.application.ports.usage_sink import ModelUsage, ModelUsageSink
from parley.application.summaries.map_reduce import MapReduceSummarizer
from parley.application.summaries.prompts import transcript_line, worth_summarising
from parley.domain.conversations import Message
from parley.domain.identity import Principal
from parley.domain.models import ModelConfig
from parley.domain.summaries import Summary

#: Messages read per query when collecting what a summary must cover.
PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class SummaryPlan:
    """What one summary will cover: the messages after `previous` (oldest first)."""

    user_id: UUID
    conversation_id: UUID
    model: ModelConfig
    previous: Summary | None
    messages: Sequence[Message]

    @property
    def lines(self) -> list[str]:
        return [transcript_line(m) for m in self.messages if worth_summarising(m)]

    @property
    def up_to_date(self) -> bool:
        return not self.messages


class SummaryWorkflow:
    """Plans and runs summaries. `plan` raises `NotFound` for a missing or foreign
    conversation and the `ModelAccess` errors for the model; `run` raises `ProviderError`
    subclasses."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        access: ModelAccess,
        summarizer: MapReduceSummarizer,
        clock: Clock,
        usage_sink: ModelUsageSink,
    ) -> None:
        self._uow_factory = uow_factory
        self._access = access
        self._summarizer = summarizer
        self._clock = clock
        self._usage_sink = usage_sink

    async def plan(
        self, principal: Principal, conversation_id: UUID, model_name: str | None
    ) -> SummaryPlan:
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(uow, principal.user_id, conversation_id)
            previous = await uow.summaries.latest(conversation.id)
            after = (
                Keyset(previous.covers_until_at, previous.covers_until_message_id)
                if previous
                else None
            )
            messages = await _messages_after(uow, conversation.id, after)
        default = conversation.model or (previous.model if previous else None) or "echo"
        model = await self._access.resolve(principal, model_name or default)
        return SummaryPlan(principal.user_id, conversation.id, model, previous, messages)

    def fits_one_call(self, plan: SummaryPlan) -> bool:
        previous = plan.previous.text if plan.previous else None
        return self._summarizer.fits_one_call(plan.model, previous, plan.lines)

    async def run(self, plan: SummaryPlan) -> Summary:
        """Summarise and store. An up-to-date plan returns the previous summary."""
        if plan.previous is not None and plan.up_to_date:
            return plan.previous
        previous = plan.previous.text if plan.previous else None
        draft = await self._summarizer.summarize(plan.model, previous, plan.lines)
        last = plan.messages[-1]
        summary = Summary(
            id=uuid.uuid4(),
            conversation_id=plan.conversation_id,
            text=draft.text,
            covers_until_message_id=last.id,
            covers_until_at=last.created_at,
            model=plan.model.name,
            usage=draft.usage,
            cost=plan.model.cost(draft.usage.prompt_tokens, draft.usage.completion_tokens),
            created_at=self._clock.now(),
        )
        async with self._uow_factory() as uow:
            # The conversation may have been deleted while the model was writing.
            conversation = await ConversationAccess.owned(uow, plan.user_id, plan.conversation_id)
            await uow.summaries.add(summary)
            await uow.commit()
        await self._usage_sink.record(
            ModelUsage(
                user_id=plan.user_id,
                model=summary.model,
                usage=summary.usage,
                cost=summary.cost,
                purpose="summary",
                conversation_id=conversation.id,
            )
        )
        return summary


async def _messages_after(
    uow: UnitOfWork, conversation_id: UUID, after: Keyset | None
) -> list[Message]:
    collected: list[Message] = []
    while True:
        page = await uow.messages.oldest_first(conversation_id, PAGE_SIZE, after)
        collected.extend(page)
        if len(page) < PAGE_SIZE:
            return collected
        after = Keyset(page[-1].created_at, page[-1].id)
