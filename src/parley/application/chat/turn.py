"""The state of one chat turn: what the caller asked, what the model has said so far, and
the totals the turn's meter is told at the end."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parley.application.chat.cancellation import survive_cancellation
from parley.application.chat.metering import Meter
from parley.application.chat.requests import GenerationOptions
from parley.application.chat.turn_events import TurnEvent
from parley.domain.chat import ToolCall, Usage
from parley.domain.conversations import Conversation, Message
from parley.domain.errors import ParleyError
from parley.domain.identity import Principal
from parley.domain.models import ModelConfig
from parley.domain.usage import UsageStatus

if TYPE_CHECKING:
    from parley.application.chat.conversation_turn import StreamChat


@dataclass(frozen=True, slots=True)
class TurnInput:
    message: str
    conversation_id: uuid.UUID | None = None
    model: str | None = None
    file_ids: tuple[uuid.UUID, ...] = ()
    options: GenerationOptions = field(default_factory=GenerationOptions)
    tool_names: tuple[str, ...] = ()
    """Registry tools to offer the model; Parley runs the calls it makes to them."""


@dataclass
class Reply:
    parts: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class TurnTotals:
    """The whole turn, across its model calls: what the meter is told at the end."""

    status: UsageStatus = UsageStatus.CANCELLED
    failure: ParleyError | None = None
    served: ModelConfig | None = None
    parts: list[str] = field(default_factory=list)
    usage: Usage | None = None
    calls: int = 0
    calls_with_usage: int = 0

    def add(self, reply: Reply) -> None:
        self.calls += 1
        self.parts.append(reply.text)
        if reply.usage is not None:
            self.calls_with_usage += 1
            previous = self.usage or Usage(0, 0)
            self.usage = Usage(
                previous.prompt_tokens + reply.usage.prompt_tokens,
                previous.completion_tokens + reply.usage.completion_tokens,
            )
        if self.calls_with_usage != self.calls:
            self.usage = None  # some call reported nothing: the meter estimates instead

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
        meter: Meter,
    ) -> None:
        self._runner = runner
        self.principal = principal
        self.model = model
        self.conversation = conversation
        self.created = created
        self.user_message = user_message
        self.options = options
        self.meter = meter
        self._events: AsyncGenerator[TurnEvent, None] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return self.meter.admission.headers

    def events(self) -> AsyncIterator[TurnEvent]:
        if self._events is None:
            self._events = self._runner.run(self)
        return self._events

    async def aclose(self) -> None:
        """End the turn however far it got: one left mid-way keeps and accounts what the
        model said so far (its events' own cleanup); one never started (the client left
        before the first event) is accounted here — its message is already stored."""
        try:
            if self._events is not None:
                await self._events.aclose()
        finally:
            await survive_cancellation(self.meter.finish(UsageStatus.CANCELLED))
