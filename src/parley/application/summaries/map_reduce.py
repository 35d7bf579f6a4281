"""Summarising text of any length with a model whose context window is limited.

If the whole transcript fits one call, it is one call. Otherwise it is cut into chunks by
tokens at message boundaries (a single message too long for any chunk is cut into parts),
each chunk is summarised — several at once, bounded — and the summaries are merged,
level after level, until one call can merge what is left (map-reduce). Tokens are counted
with the offline estimate, which errs high, so every request fits the window."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from parley.application.chat.context_window import output_reserve
from parley.application.chat.requests import GenerationOptions, build_request
from parley.application.chat.routing import RoutedCompletion
from parley.application.summaries import prompts
from parley.application.tokens import estimate_messages_tokens, estimate_tokens
from parley.domain.chat import ChatMessage, ChatRequest, Usage
from parley.domain.errors import ValidationFailed
from parley.domain.models import ModelConfig

#: Merging can always halve the number of summaries, so this is never reached in practice;
#: it bounds the work if a model ignores `max_tokens` and keeps answering at length.
MAX_LEVELS = 12
#: Tokens kept spare in every request on top of the estimate (separators, headings).
SLACK_TOKENS = 16


class ModelCompleter(Protocol):
    """Sends a whole (non-streamed) request to a model (`ModelRouter`)."""

    async def complete(self, model: ModelConfig, request: ChatRequest) -> RoutedCompletion: ...


@dataclass(frozen=True, slots=True)
class Draft:
    """A finished summary, with the usage of every call it took."""

    text: str
    usage: Usage
    calls: int


def prompt_budget(model: ModelConfig) -> int:
    """Tokens a summary request may spend on its prompt; the rest is kept for the answer."""
    return model.context_window - output_reserve(model.context_window, None)


class MapReduceSummarizer:
    def __init__(self, completer: ModelCompleter, parallelism: int = 4) -> None:
        self._completer = completer
        self._parallelism = max(1, parallelism)

    @staticmethod
    def fits_one_call(model: ModelConfig, previous: str | None, lines: Sequence[str]) -> bool:
        """Whether `summarize` would need a single model call for this input."""
        return _single_prompt_tokens(previous, lines) <= prompt_budget(model)

    async def summarize(
        self, model: ModelConfig, previous: str | None, lines: Sequence[str]
    ) -> Draft:
        """Summarise transcript `lines` (oldest first), continuing from `previous` (an
        earlier summary) when given. Raises `ProviderError` subclasses from the model,
        and `ValidationFailed` when the model's window is too small for any summary."""
        run = _Run(self._completer, model, asyncio.Semaphore(self._parallelism))
        if self.fits_one_call(model, previous, lines):
            return await run.finish(
                await run.call(prompts.SUMMARIZE, _single_body(previous, lines))
            )
        capacity = run.capacity(prompts.SUMMARIZE_PART)
        chunks = _pack(_cut_long(lines, capacity), capacity)
        partials = await run.map(
            [
                (
                    prompts.SUMMARIZE_PART.format(index=i, count=len(chunks)),
                    prompts.SEPARATOR.join(c),
                )
                for i, c in enumerate(chunks, start=1)
            ]
        )
        items = ([f"{prompts.PREVIOUS_HEADING}\n{previous}"] if previous else []) + partials
        return await run.finish(await run.reduce(items))


class _Run:
    """One summary's calls: the model, the parallelism bound, and the usage so far."""

    def __init__(
        self, completer: ModelCompleter, model: ModelConfig, slots: asyncio.Semaphore
    ) -> None:
        self._completer = completer
        self._model = model
        self._slots = slots
        self._reserve = output_reserve(model.context_window, None)
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._estimated = False
        self._calls = 0

    def capacity(self, instructions: str) -> int:
        """Tokens of body text one request can carry next to `instructions`."""
        fixed = estimate_messages_tokens(
            [ChatMessage(role="system", content=instructions), ChatMessage(role="user", content="")]
        )
        room = prompt_budget(self._model) - fixed - SLACK_TOKENS
        if room < 32:
            raise ValidationFailed(
                [], f"{self._model.name}'s context window is too small to write a summary."
            )
        return room

    async def call(self, instructions: str, body: str) -> str:
        messages = [
            ChatMessage(role="system", content=instructions),
            ChatMessage(role="user", content=body),
        ]
        request = build_request(self._model, messages, GenerationOptions(max_tokens=self._reserve))
        async with self._slots:
            routed = await self._completer.complete(self._model, request)
        completion = routed.completion
        usage = completion.usage or Usage(
            estimate_messages_tokens(messages), estimate_tokens(completion.text), estimated=True
        )
        self._prompt_tokens += usage.prompt_tokens
        self._completion_tokens += usage.completion_tokens
        self._estimated = self._estimated or usage.estimated
        self._calls += 1
        return completion.text.strip()

    async def map(self, calls: Sequence[tuple[str, str]]) -> list[str]:
        return list(await asyncio.gather(*(self.call(i, b) for i, b in calls)))

    async def reduce(self, items: list[str]) -> str:
        capacity = self.capacity(prompts.MERGE)
        for _ in range(MAX_LEVELS):
            if len(items) == 1 and estimate_tokens(items[0]) <= capacity:
                return items[0]
            if _joined_tokens(_numbered(items)) <= capacity:
                return await self.call(prompts.MERGE, prompts.SEPARATOR.join(_numbered(items)))
            # Every item at most half a request, so each merge takes at least two: the
            # number of items halves at every level.
            items = [_truncate(item, capacity // 2) for item in items]
            groups = _pack(items, capacity)
            items = await self.map(
                [(prompts.MERGE, prompts.SEPARATOR.join(_numbered(group))) for group in groups]
            )
        raise ValidationFailed([], "The summary did not converge; the model answers too long.")

    async def finish(self, text: str) -> Draft:
        usage = Usage(self._prompt_tokens, self._completion_tokens, self._estimated)
        return Draft(text, usage, self._calls)


def _single_body(previous: str | None, lines: Sequence[str]) -> str:
    transcript = prompts.SEPARATOR.join(lines)
    if previous is None:
        return transcript
    return (
        f"{prompts.PREVIOUS_HEADING}\n{previous}{prompts.SEPARATOR}"
        f"{prompts.NEW_MESSAGES_HEADING}{prompts.SEPARATOR}{transcript}"
    )


def _single_prompt_tokens(previous: str | None, lines: Sequence[str]) -> int:
    messages = [
        ChatMessage(role="system", content=prompts.SUMMARIZE),
        ChatMessage(role="user", content=""),
    ]
    body = _joined_tokens(lines) + (
        estimate_tokens(prompts.PREVIOUS_HEADING) + estimate_tokens(previous) + 4 if previous else 0
    )
    return estimate_messages_tokens(messages) + body + SLACK_TOKENS


def _joined_tokens(pieces: Sequence[str]) -> int:
    """An upper bound for the pieces joined by separators: estimates add up at least as
    fast as the estimate of the joined text."""
    return sum(estimate_tokens(piece) + 1 for piece in pieces)


def _numbered(items: Sequence[str]) -> list[str]:
    return [f"{prompts.PART_HEADING.format(index=i)}\n{item}" for i, item in enumerate(items, 1)]


def _pack(pieces: Sequence[str], capacity: int) -> list[list[str]]:
    """Consecutive pieces grouped greedily so that each group fits `capacity` (with the
    part headings `_numbered` adds); every piece must already fit on its own."""
    groups: list[list[str]] = []
    current: list[str] = []
    spent = 0
    for piece in pieces:
        cost = estimate_tokens(piece) + estimate_tokens(prompts.PART_HEADING) + 3
        if current and spent + cost > capacity:
            groups.append(current)
            current, spent = [], 0
        current.append(piece)
        spent += cost
    if current:
        groups.append(current)
    return groups


def _cut_long(lines: Sequence[str], capacity: int) -> list[str]:
    """Lines as they are, except that one too long for a chunk is cut into parts."""
    limit = capacity
    out: list[str] = []
    for line in lines:
        if estimate_tokens(line) + 8 <= limit:
            out.append(line)
            continue
        rest = line
        while rest:
            part = _truncate(rest, limit - 8)
            out.append(part)
            rest = rest[len(part) :]
    return out


def _truncate(text: str, tokens: int) -> str:
    """The longest prefix of `text` estimated at no more than `tokens` (at least one char)."""
    if estimate_tokens(text) <= tokens:
        return text
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if estimate_tokens(text[:middle]) <= tokens:
            low = middle
        else:
            high = middle - 1
    return text[:low]
