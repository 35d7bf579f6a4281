"""The tool part of a chat turn: which registry tools a turn offers the model, and running
the calls the model asks for (in parallel, each with a timeout) as the caller.

A call is never run when the reply it came in was cut off (finish reason "length" or none),
when its arguments are not a JSON object, or when it names a tool the turn did not offer;
it gets an error result instead, so the stored history stays well-formed (every tool call
has its result) and the model learns why."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from parley.application.chat.cancellation import survive_cancellation
from parley.application.chat.turn_events import ToolResultReady
from parley.application.conversations.access import ConversationAccess
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.application.tools.registry import ToolRegistry
from parley.application.tools.run_tool import RunTool
from parley.domain.chat import ToolCall, ToolSpec
from parley.domain.conversations import Message, MessageRole, MessageStatus
from parley.domain.errors import FieldError, NotFound, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.tools import ToolResult

T = TypeVar("T")

#: Finish reasons after which the model's tool calls are complete and may run.
COMPLETE_REASONS = frozenset({"tool_calls", "stop", "tool_use", "end_turn", "function_call"})
MAX_OFFERED_TOOLS = 64


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    call: ToolCall
    result: ToolResult


class ToolLoop:
    """Offers registry tools to the model and answers its tool calls.

    `max_steps` bounds the model calls of one turn; the tool calls of the last allowed step
    are answered with a "step limit" error instead of being run, and the turn ends there."""

    def __init__(
        self,
        registry: ToolRegistry,
        run_tool: RunTool,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        max_steps: int = 5,
        call_timeout_seconds: float = 60.0,
    ) -> None:
        self._registry = registry
        self._run_tool = run_tool
        self._uow_factory = uow_factory
        self._clock = clock
        self.max_steps = max(1, max_steps)
        self._timeout = call_timeout_seconds

    async def offered(self, principal: Principal, names: Sequence[str]) -> tuple[ToolSpec, ...]:
        """The specs of the named tools. Raises `ValidationFailed` naming each one the
        caller may not use (unknown, disabled or not for their tier)."""
        unique = list(dict.fromkeys(names))
        if len(unique) > MAX_OFFERED_TOOLS:
            message = f"At most {MAX_OFFERED_TOOLS} tools per request."
            raise ValidationFailed([FieldError(("body", "tools"), message)], message)
        specs: list[ToolSpec] = []
        errors: list[FieldError] = []
        for index, name in enumerate(unique):
            tool = await self._registry.find(principal, name)
            if tool is None:
                errors.append(FieldError(("body", "tools", index), f"No tool named {name!r}."))
            else:
                specs.append(ToolSpec(tool.name, tool.description, tool.parameters))
        if errors:
            raise ValidationFailed(errors, "; ".join(error.message for error in errors))
        return tuple(specs)

    async def answer(
        self,
        principal: Principal,
        conversation_id: uuid.UUID,
        calls: Sequence[ToolCall],
        finish_reason: str | None,
        offered: Sequence[ToolSpec],
        *,
        last_step: bool,
    ) -> list[ToolResultReady]:
        """Runs (or refuses) every call, stores each result as a `tool` message, and returns
        the results in call order. If the caller goes away meanwhile, the calls still get
        "not run" results stored before the cancellation goes on."""
        refusal: str | None = None
        if last_step:
            refusal = f"Not run: this turn reached its limit of {self.max_steps} model steps."
        elif finish_reason not in COMPLETE_REASONS:
            refusal = "Not run: the model's reply was cut off, so this call may be incomplete."
        names = {spec.name for spec in offered}
        try:
            results = await asyncio.gather(
                *(self._one(principal, call, names, refusal) for call in calls)
            )
        except asyncio.CancelledError:
            cancelled = [
                ToolOutcome(call, ToolResult("Not run: the turn was cancelled.", True))
                for call in calls
            ]
            await survive_cancellation(self._store(principal, conversation_id, cancelled))
            raise
        outcomes = [ToolOutcome(call, result) for call, result in zip(calls, results, strict=True)]
        await survive_cancellation(self._store(principal, conversation_id, outcomes))
        return [
            ToolResultReady(o.call.id, o.call.name, o.result.content, o.result.is_error)
            for o in outcomes
        ]

    async def _one(
        self, principal: Principal, call: ToolCall, offered: set[str], refusal: str | None
    ) -> ToolResult:
        if refusal is not None:
            return ToolResult(refusal, True)
        if call.name not in offered:
            return ToolResult(f"Not run: no tool named {call.name!r} was offered.", True)
        try:
            arguments: Any = json.loads(call.arguments) if call.arguments.strip() else {}
        except ValueError:
            return ToolResult("Not run: the arguments are not valid JSON.", True)
        if not isinstance(arguments, dict):
            return ToolResult("Not run: the arguments must be a JSON object.", True)
        try:
            return await asyncio.wait_for(
                self._run_tool(principal, call.name, arguments), self._timeout
            )
        except NotFound:
            return ToolResult(f"Not run: the tool {call.name!r} is not available.", True)
        except ValidationFailed as error:
            return ToolResult(f"Not run: {error.detail}", True)
        except TimeoutError:
            return ToolResult(f"The tool did not answer within {self._timeout:g} s.", True)

    async def _store(
        self, principal: Principal, conversation_id: uuid.UUID, outcomes: Sequence[ToolOutcome]
    ) -> None:
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(uow, principal.user_id, conversation_id)
            for outcome in outcomes:
                await uow.messages.add(
                    Message(
                        id=uuid.uuid4(),
                        conversation_id=conversation.id,
                        role=MessageRole.TOOL,
                        content=outcome.result.content,
                        status=MessageStatus.COMPLETE,
                        created_at=conversation.touch(self._clock.now()),
                        tool_call_id=outcome.call.id,
                    )
                )
            await uow.conversations.touch(conversation.id, conversation.updated_at)
            await uow.commit()
