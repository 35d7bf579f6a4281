"""A chat turn in a stored conversation, streamed: `/v2/chat/stream`.

The user message is committed before the provider is called. The reply is written in a
second short unit of work when the stream ends — complete, or incomplete with whatever the
model had said when the provider failed or the client went away. No database session is held
open while the model talks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from parley.application.chat.access import ModelAccess
from parley.application.chat.context_window import fits, output_reserve
from parley.application.chat.history import SummaryScheduler, load_history
from parley.application.chat.requests import GenerationOptions, build_request
from parley.application.chat.routing import ModelRouter
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
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.chat import (
    ChatRequest,
    FinishEvent,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    Usage,
    UsageEvent,
)
from parley.domain.conversations import Conversation, Message, MessageRole, MessageStatus
from parley.domain.errors import FieldError, ParleyError, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.models import ModelConfig

DEFAULT_MODEL = "echo"
TITLE_LENGTH = 80
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TurnInput:
    message: str
    conversation_id: uuid.UUID | None = None
    model: str | None = None
    file_ids: tuple[uuid.UUID, ...] = ()
    options: GenerationOptions = field(default_factory=GenerationOptions)


@dataclass
class _Reply:
    parts: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


class ChatTurn:
    """A started turn: iterate `events()` once to run it."""

    def __init__(
        self,
        runner: StreamChat,
        principal: Principal,
        model: ModelConfig,
        conversation: Conversation,
        created: bool,
        user_message: Message,
        options: GenerationOptions,
    ) -> None:
        self._runner = runner
        self.principal = principal
        self.model = model
        self.conversation = conversation
        self.created = created
        self.user_message = user_message
        self._options = options

    def events(self) -> AsyncIterator[TurnEvent]:
        return self._runner.run(self)

    @property
    def options(self) -> GenerationOptions:
        return self._options


class StreamChat:
    """Starts a turn: resolves the model (`ModelNotFound`, `PermissionDenied`), the
    conversation (`NotFound` for a missing or foreign one; a new one when none is named),
    checks the message fits the model (`ValidationFailed`), and commits the user message."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        access: ModelAccess,
        router: ModelRouter,
        clock: Clock,
        summaries: SummaryScheduler | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._access = access
        self._router = router
        self._clock = clock
        self._summaries = summaries

    async def __call__(self, principal: Principal, data: TurnInput) -> ChatTurn:
        if not data.message.strip() and not data.file_ids:
            raise ValidationFailed([FieldError(("body", "message"), "message must not be empty.")])
        # Resolved before the unit of work below: the catalog may open its own to reload,
        # and two at once in one task deadlock on SQLite's write lock.
        model = await self._access.resolve(principal, await self._model_name(principal, data))
        async with self._uow_factory() as uow:
            created = data.conversation_id is None
            if data.conversation_id is None:
                now = self._clock.now()
                conversation = Conversation(
                    id=uuid.uuid4(),
                    user_id=principal.user_id,
                    title=_title(data.message),
                    model=data.model,
                    system_prompt=None,
                    archived=False,
                    created_at=now,
                    updated_at=now,
                )
            else:
                conversation = await ConversationAccess.owned(
                    uow, principal.user_id, data.conversation_id
                )
            budget = model.context_window - output_reserve(
                model.context_window, data.options.max_tokens
            )
            if not fits(data.message, conversation.system_prompt, budget):
                message = f"The message is too long for {model.name}'s context window."
                raise ValidationFailed([FieldError(("body", "message"), message)], message)
            if created:
                await uow.conversations.add(conversation)
            user_message = Message(
                id=uuid.uuid4(),
                conversation_id=conversation.id,
                role=MessageRole.USER,
                content=data.message,
                status=MessageStatus.COMPLETE,
                created_at=conversation.touch(self._clock.now()),
                file_ids=data.file_ids,
            )
            await uow.messages.add(user_message)
            await uow.conversations.touch(conversation.id, conversation.updated_at)
            await uow.commit()
        return ChatTurn(self, principal, model, conversation, created, user_message, data.options)

    async def _model_name(self, principal: Principal, data: TurnInput) -> str:
        if data.model or data.conversation_id is None:
            return data.model or DEFAULT_MODEL
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(
                uow, principal.user_id, data.conversation_id
            )
        return conversation.model or DEFAULT_MODEL

    async def run(self, turn: ChatTurn) -> AsyncIterator[TurnEvent]:
        yield ConversationReady(turn.conversation, turn.created)
        yield UserMessageStored(turn.user_message)
        reply = _Reply()
        try:
            request = await self._request_for(turn)
            stream = await self._router.open_stream(turn.model, request)
        except ParleyError as error:
            stored = await _survive_cancellation(self._store_reply(turn, reply, error))
            yield TurnFailed(error, stored)
            return
        try:
            async for event in stream:
                if isinstance(event, TextDelta):
                    reply.parts.append(event.text)
                    yield ReplyDelta(event.text)
                elif isinstance(event, ToolCallEvent):
                    reply.tool_calls.append(event.call)
                    yield ToolCallRequested(event.call)
                elif isinstance(event, UsageEvent):
                    reply.usage = event.usage
                    yield UsageReported(event.usage)
                elif isinstance(event, FinishEvent):
                    reply.finish_reason = event.reason
        except ParleyError as error:
            stored = await _survive_cancellation(self._store_reply(turn, reply, error))
            yield TurnFailed(error, stored)
            return
        except BaseException:
            # The client went away (cancellation) or stopped reading: keep what was said.
            await _survive_cancellation(self._store_reply(turn, reply, None, interrupted=True))
            raise
        finally:
            await stream.aclose()
        stored = await _survive_cancellation(self._store_reply(turn, reply, None))
        yield ReplyStored(stored)

    async def _request_for(self, turn: ChatTurn) -> ChatRequest:
        model = turn.model
        budget = model.context_window - output_reserve(
            model.context_window, turn.options.max_tokens
        )
        async with self._uow_factory() as uow:
            history = await load_history(uow, turn.conversation, budget)
        if history.needs_summary and self._summaries is not None:
            await self._summaries.schedule(turn.principal.user_id, turn.conversation.id, model.name)
        return build_request(model, history.messages, turn.options)

    async def _store_reply(
        self,
        turn: ChatTurn,
        reply: _Reply,
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
                model=turn.model.name,
                tool_calls=tuple(reply.tool_calls),
                usage=reply.usage,
            )
            await uow.messages.add(message)
            await uow.conversations.touch(conversation.id, conversation.updated_at)
            await uow.commit()
        return message


async def _survive_cancellation(work: Awaitable[T]) -> T:
    """Finish `work` even if the surrounding task is being cancelled (a client disconnect
    cancels the response task repeatedly): it runs as its own task, which is awaited."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)
        raise


_PENDING: set[asyncio.Future[Any]] = set()


def _title(message: str) -> str | None:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return (line[: TITLE_LENGTH - 1] + "…") if len(line) > TITLE_LENGTH else (line or None)
