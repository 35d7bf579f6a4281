"""The history a chat turn sends when the conversation may be longer than the window.

While the whole conversation fits, it is sent as it is. When it no longer does, the
latest summary stands in for what it covers — sent as a system message after the system
prompt — followed by the most recent messages after it that fit; and whenever that leaves
messages out that no summary covers, a fresh summary is asked for in the background."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from parley.application.chat.context_window import (
    HISTORY_READ_LIMIT,
    Render,
    as_chat_message,
    fit_history,
)
from parley.application.tokens import REPLY_PRIMING_TOKENS, estimate_message_tokens
from parley.domain.chat import ChatMessage
from parley.domain.conversations import Message, MessageStatus
from parley.domain.summaries import Summary

SUMMARY_PREFIX = "Summary of the earlier conversation: "


class SummaryScheduler(Protocol):
    """Queues a summary job for a conversation without waiting for it. Never raises."""

    async def schedule(self, user_id: UUID, conversation_id: UUID, model: str) -> None: ...


@dataclass(frozen=True, slots=True)
class History:
    messages: list[ChatMessage]
    needs_summary: bool
    """Messages were left out that no summary covers."""


def plan_history(
    system_prompt: str | None,
    recent: Sequence[Message],
    summary: Summary | None,
    budget: int,
    render: Render | None = None,
) -> History:
    """What to send within `budget` tokens (oldest first), given the newest-first `recent`
    messages and the conversation's latest summary."""
    if len(recent) < HISTORY_READ_LIMIT and _cost(system_prompt, recent) <= budget:
        return History(fit_history(system_prompt, recent, budget, render), needs_summary=False)
    if summary is None:
        return History(fit_history(system_prompt, recent, budget, render), needs_summary=True)
    note = ChatMessage(role="system", content=SUMMARY_PREFIX + summary.text)
    note_cost = estimate_message_tokens(note)
    if note_cost > budget // 2:
        # A summary that would crowd out the conversation itself is not worth sending.
        return History(fit_history(system_prompt, recent, budget, render), needs_summary=True)
    uncovered = [m for m in recent if _after(m, summary)]
    fitted = fit_history(system_prompt, uncovered, budget - note_cost, render)
    at = 1 if system_prompt else 0
    messages = [*fitted[:at], note, *fitted[at:]]
    stale = len(uncovered) == len(recent) or _cost(system_prompt, uncovered) > budget - note_cost
    return History(messages, needs_summary=stale)


def _after(message: Message, summary: Summary) -> bool:
    return (message.created_at, message.id) > (
        summary.covers_until_at,
        summary.covers_until_message_id,
    )


def _cost(system_prompt: str | None, messages: Sequence[Message]) -> int:
    """What sending all of `messages` would cost, counted as `fit_history` counts."""
    spent = REPLY_PRIMING_TOKENS
    if system_prompt:
        spent += estimate_message_tokens(ChatMessage(role="system", content=system_prompt))
    for message in messages:
        if message.status is MessageStatus.FAILED and not message.content:
            continue
        spent += estimate_message_tokens(as_chat_message(message))
    return spent
