"""What a summary call says to the model, and how a conversation reads as a transcript."""

from __future__ import annotations

from parley.domain.conversations import Message, MessageStatus

SUMMARIZE = (
    "You write summaries of conversations between a user and an AI assistant. Summarise "
    "the transcript you are given in plain prose: who wants what, the facts, names, numbers "
    "and decisions that matter, and what is still open. Be concise; do not add anything "
    "that is not in the transcript."
)
SUMMARIZE_PART = (
    SUMMARIZE + " The transcript is one part ({index} of {count}) of a longer conversation; "
    "summarise only this part."
)
MERGE = (
    "You combine partial summaries of one conversation, given in order, into a single "
    "concise summary that keeps every fact, name, number and decision that matters and "
    "what is still open."
)
PREVIOUS_HEADING = "Summary of the conversation so far:"
NEW_MESSAGES_HEADING = "The conversation continued:"
PART_HEADING = "Part {index}:"
SEPARATOR = "\n\n"

_ROLE_NAMES = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool"}


def worth_summarising(message: Message) -> bool:
    """Failed turns in which nothing was said carry nothing to summarise."""
    return not (message.status is MessageStatus.FAILED and not message.content)


def transcript_line(message: Message) -> str:
    """One message as it reads in a transcript: `Role: text`, with its tool calls."""
    text = f"{_ROLE_NAMES.get(message.role.value, message.role.value)}: {message.content}"
    for call in message.tool_calls:
        text += f"\n[called {call.name}({call.arguments})]"
    return text
