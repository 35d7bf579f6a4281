"""A chat turn in a stored conversation, streamed: `/v2/chat/stream`.

The user message is committed before the provider is called. The reply is written in a
second short unit of work when the stream ends — complete, or incomplete with whatever the
model had said when the provider failed or the client went away. No database session is held
open while the model talks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import replace

from parley.application.chat.access import ModelAccess
from parley.application.chat.cancellation import survive_cancellation
from parley.application.chat.context_window import HISTORY_READ_LIMIT, fits, output_reserve
from parley.application.chat.history import SummaryScheduler, plan_history
from parley.application.chat.metering import ChatMeter
from parley.application.chat.requests import build_request
from parley.application.chat.routing import ModelRouter
from parley.application.chat.tool_loop import ToolLoop
from parley.application.chat.turn import ChatTurn, Reply, TurnInput, TurnTotals
from parley.application.chat.turn_events import (
    ConversationReady,
    ReplyDelta,
    ReplyStored,
    ToolCallRequested,
    TurnEvent,
    TurnFailed,
    UsageReported,
    UserMessageStored,
)
from parley.application.conversations.access import ConversationAccess
from parley.application.files.access import FileAccess
from parley.application.files.context import LoadAttachments
from parley.application.limits.admission import ChatAdmission
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.application.tokens import estimate_tokens
from parley.domain.chat import (
    ChatRequest,
    FinishEvent,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)
from parley.domain.conversations import Conversation, Message, MessageRole, MessageStatus
from parley.domain.errors import FieldError, ParleyError, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.summaries import Summary
from parley.domain.usage import UsageStatus

DEFAULT_MODEL = "echo"
ENDPOINT = "chat.stream"
TITLE_LENGTH = 80


class StreamChat:
    """Starts a turn: resolves the conversation (`NotFound` for a missing or foreign one; a
    new one when none is named) and the model (`ModelNotFound`, `PermissionDenied`), checks
    the message fits the model (`ValidationFailed`), admits it against the caller's limits
    (`RateLimited`), checks its `file_ids` are the caller's files (`NotFound`), and commits
    the user message. A refused turn stores nothing."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        access: ModelAccess,
        router: ModelRouter,
        admission: ChatAdmission,
        meter: ChatMeter,
        clock: Clock,
        tools: ToolLoop | None = None,
        attachments: LoadAttachments | None = None,
        summaries: SummaryScheduler | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._access = access
        self._router = router
        self._admission = admission
        self._meter = meter
        self._clock = clock
        self._tools = tools
        self._attachments = attachments
        self._summaries = summaries

    async def __call__(self, principal: Principal, data: TurnInput) -> ChatTurn:
        if not data.message.strip() and not data.file_ids:
            raise ValidationFailed([FieldError(("body", "message"), "message must not be empty.")])
        data = await self._with_tools(principal, data)
        conversation, created = await self._conversation(principal, data)
        model = await self._access.resolve(
            principal, data.model or conversation.model or DEFAULT_MODEL
        )
        budget = model.context_window - output_reserve(
            model.context_window, data.options.max_tokens
        )
        if not fits(data.message, conversation.system_prompt, budget):
            message = f"The message is too long for {model.name}'s context window."
            raise ValidationFailed([FieldError(("body", "message"), message)], message)
        prompt = estimate_tokens(data.message) + estimate_tokens(conversation.system_prompt or "")
        admission = await self._admission.admit(
            principal, model, prompt, data.options.max_tokens, streaming=True
        )
        options = data.options.with_max_tokens(admission.max_output_tokens)
        meter = self._meter.start(principal, ENDPOINT, model, admission, prompt, conversation.id)
        try:
            user_message = await self._store_user_message(conversation, created, data)
        except BaseException as error:
            await survive_cancellation(meter.finish(UsageStatus.ERROR, error=error))
            raise
        return ChatTurn(self, principal, model, conversation, created, user_message, options, meter)

    async def _conversation(
        self, principal: Principal, data: TurnInput
    ) -> tuple[Conversation, bool]:
        if data.conversation_id is not None:
            async with self._uow_factory() as uow:
                owned = await ConversationAccess.owned(uow, principal.user_id, data.conversation_id)
            return owned, False
        now = self._clock.now()
        return (
            Conversation(
                id=uuid.uuid4(),
                user_id=principal.user_id,
                title=_title(data.message),
                model=data.model,
                system_prompt=None,
                archived=False,
                created_at=now,
                updated_at=now,
            ),
            True,
        )

    async def _store_user_message(
        self, conversation: Conversation, created: bool, data: TurnInput
    ) -> Message:
        async with self._uow_factory() as uow:
            await FileAccess.require_owned(uow, conversation.user_id, data.file_ids)
            if not created:  # re-read under this transaction: it may have been deleted meanwhile
                conversation = await ConversationAccess.owned(
                    uow, conversation.user_id, conversation.id
                )
            message = Message(
                id=uuid.uuid4(),
                conversation_id=conversation.id,
                role=MessageRole.USER,
                content=data.message,
                status=MessageStatus.COMPLETE,
                created_at=conversation.touch(self._clock.now()),
                file_ids=data.file_ids,
            )
            if created:  # inserted already touched: no UPDATE right after the INSERT
                await uow.conversations.add(conversation)
            await uow.messages.add(message)
            if not created:
                await uow.conversations.touch(conversation.id, conversation.updated_at)
            await uow.commit()
        return message

    async def run(self, turn: ChatTurn) -> AsyncGenerator[TurnEvent, None]:
        totals = TurnTotals()
        try:
            yield ConversationReady(turn.conversation, turn.created)
            yield UserMessageStored(turn.user_message)
            async for event in self._step(turn, 1, totals):
                yield event
        finally:
            await survive_cancellation(
                turn.meter.finish(
                    totals.status,
                    served=totals.served,
                    usage=totals.usage,
                    completion_text=totals.text,
                    error=totals.failure,
                )
            )

    async def _step(
        self, turn: ChatTurn, step: int, totals: TurnTotals
    ) -> AsyncIterator[TurnEvent]:
        """One model call of the turn (a turn with tools takes several)."""
        reply = Reply()
        totals.status = UsageStatus.CANCELLED
        try:
            request = await self._request_for(turn, first_of_new=turn.created and step == 1)
            stream = await self._router.open_stream(turn.model, request, turn.principal.tier)
        except ParleyError as error:
            totals.status = UsageStatus.ERROR if step == 1 else UsageStatus.INCOMPLETE
            totals.failure = error
            stored = await survive_cancellation(self._store_reply(turn, reply, error))
            yield TurnFailed(error, stored)
            return
        totals.served = stream.model
        reply.model = stream.model.name
        try:
            async for event in stream:
                if isinstance(event, TextDelta):
                    turn.meter.first_token()
                    reply.parts.append(event.text)
                    yield ReplyDelta(event.text)
                elif isinstance(event, ToolCallEvent):
                    turn.meter.first_token()
                    reply.tool_calls.append(event.call)
                    yield ToolCallRequested(event.call)
                elif isinstance(event, UsageEvent):
                    reply.usage = event.usage
                    yield UsageReported(event.usage)
                elif isinstance(event, FinishEvent):
                    reply.finish_reason = event.reason
        except ParleyError as error:
            totals.status, totals.failure = UsageStatus.INCOMPLETE, error
            stored = await survive_cancellation(self._store_reply(turn, reply, error))
            yield TurnFailed(error, stored)
            return
        except BaseException:
            # The client went away (cancellation) or stopped reading: keep what was said.
            await survive_cancellation(self._store_reply(turn, reply, None, interrupted=True))
            raise
        finally:
            totals.add(reply)
            await stream.aclose()
        totals.status = UsageStatus.SUCCESS
        stored = await survive_cancellation(self._store_reply(turn, reply, None))
        async for after in self._after_reply(turn, reply, stored, step, totals):
            yield after

    async def _with_tools(self, principal: Principal, data: TurnInput) -> TurnInput:
        if not data.tool_names:
            return data
        if self._tools is None:
            message = "Tools are not available on this server."
            raise ValidationFailed([FieldError(("body", "tools"), message)], message)
        specs = await self._tools.offered(principal, data.tool_names)
        return replace(data, options=replace(data.options, tools=specs))

    async def _after_reply(
        self, turn: ChatTurn, reply: Reply, stored: Message, step: int, totals: TurnTotals
    ) -> AsyncIterator[TurnEvent]:
        """With tools offered and called: answer the calls, then take the next step (the
        model sees the results), until it answers without tools or the step limit is hit."""
        if self._tools is None or not reply.tool_calls or not turn.options.tools:
            yield ReplyStored(stored)
            return
        last_step = step >= self._tools.max_steps
        results = await self._tools.answer(
            turn.principal,
            turn.conversation.id,
            reply.tool_calls,
            reply.finish_reason,
            turn.options.tools,
            last_step=last_step,
        )
        for result in results:
            yield result
        if last_step:
            yield ReplyStored(stored)
            return
        async for event in self._step(turn, step + 1, totals):
            yield event

    async def _request_for(self, turn: ChatTurn, *, first_of_new: bool) -> ChatRequest:
        """The model request: the conversation's history as it fits the window. The first
        call of a conversation this turn created needs no read: its history is the message
        just stored."""
        model = turn.model
        budget = model.context_window - output_reserve(
            model.context_window, turn.options.max_tokens
        )
        recent: Sequence[Message]
        summary: Summary | None
        if first_of_new:
            recent, summary = [turn.user_message], None
        else:
            async with self._uow_factory() as uow:
                recent = await uow.messages.recent(turn.conversation.id, HISTORY_READ_LIMIT)
                summary = await uow.summaries.latest(turn.conversation.id)
        render = None
        if self._attachments is not None:
            attached = await self._attachments(turn.principal.user_id, recent, model)
            render = attached.render
        history = plan_history(turn.conversation.system_prompt, recent, summary, budget, render)
        if history.needs_summary and self._summaries is not None:
            await self._summaries.schedule(turn.principal.user_id, turn.conversation.id, model.name)
        return build_request(model, history.messages, turn.options)

    async def _store_reply(
        self,
        turn: ChatTurn,
        reply: Reply,
        error: ParleyError | None,
        *,
        interrupted: bool = False,
    ) -> Message:
        if error is None and not interrupted:
            status = MessageStatus.COMPLETE
        elif reply.text or reply.tool_calls:
            status = MessageStatus.INCOMPLETE
        else:
            status = MessageStatus.FAILED
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(
                uow, turn.principal.user_id, turn.conversation.id
            )
            message = Message(
                id=uuid.uuid4(),
                conversation_id=conversation.id,
                role=MessageRole.ASSISTANT,
                content=reply.text,
                status=status,
                created_at=conversation.touch(self._clock.now()),
                model=reply.model or turn.model.name,
                tool_calls=tuple(reply.tool_calls),
                usage=reply.usage,
            )
            await uow.messages.add(message)
            await uow.conversations.touch(conversation.id, conversation.updated_at)
            await uow.commit()
        return message


def _title(message: str) -> str | None:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return (line[: TITLE_LENGTH - 1] + "…") if len(line) > TITLE_LENGTH else (line or None)
