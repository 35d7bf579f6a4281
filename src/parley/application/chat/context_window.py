"""What history fits a model's context window."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from parley.application.tokens import estimate_message_tokens, estimate_tokens
from parley.domain.chat import ChatMessage
from parley.domain.conversations import Message, MessageRole, MessageStatus

#: Tokens kept free for the answer when the caller sets no max_tokens.
DEFAULT_OUTPUT_RESERVE = 1024
#: How many recent messages are read to build a context (newest first).
HISTORY_READ_LIMIT = 500

Render = Callable[[Message, int], ChatMessage]
"""Turns a stored message into what the model sees, within a number of tokens."""


def output_reserve(context_window: int, max_tokens: int | None) -> int:
    if max_tokens is not None:
        return min(max_tokens, context_window // 2)
    return min(DEFAULT_OUTPUT_RESERVE, context_window // 4)


def as_chat_message(message: Message) -> ChatMessage:
    return ChatMessage(
        role=message.role.value,
        content=message.content,
        tool_calls=message.tool_calls,
        tool_call_id=message.tool_call_id,
    )


def fit_history(
    system_prompt: str | None,
    newest_first: Sequence[Message],
    budget_tokens: int,
    render: Render | None = None,
) -> list[ChatMessage]:
    """The system prompt plus the longest run of recent messages that fits `budget_tokens`,
    oldest first, starting at a user message. Failed turns with nothing said are skipped.

    `render(message, tokens_left)` turns a message into what the model sees (attached
    files included, cut to `tokens_left`); by default its own content only."""
    context: list[ChatMessage] = []
    spent = 3  # the reply primer every provider adds
    system: ChatMessage | None = None
    if system_prompt:
        system = ChatMessage(role="system", content=system_prompt)
        spent += estimate_message_tokens(system)
    for message in newest_first:
        if message.status is MessageStatus.FAILED and not message.content:
            continue
        chat_message = (
            render(message, budget_tokens - spent) if render else as_chat_message(message)
        )
        cost = estimate_message_tokens(chat_message)
        if spent + cost > budget_tokens:
            break
        spent += cost
        context.append(chat_message)
    context.reverse()
    # Start at a user message: providers refuse a history that opens with a tool result, and
    # some (Anthropic) one that opens with the assistant.
    while context and context[0].role != MessageRole.USER.value:
        context.pop(0)
    return [system, *context] if system else context


def fits(text: str, system_prompt: str | None, budget_tokens: int) -> bool:
    needed = estimate_tokens(text) + (estimate_tokens(system_prompt) if system_prompt else 0) + 16
    return needed <= budget_tokens
