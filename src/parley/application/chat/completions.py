"""OpenAI-style chat completions: the caller sends the whole message list; nothing is stored
in conversations (usage is still accounted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parley.application.chat.access import ModelAccess
from parley.application.chat.requests import GenerationOptions, build_request
from parley.application.chat.routing import ModelRouter, OpenedStream, RoutedCompletion
from parley.domain.chat import ChatMessage
from parley.domain.errors import FieldError, ValidationFailed
from parley.domain.identity import Principal


@dataclass(frozen=True, slots=True)
class CompletionInput:
    model: str
    messages: Sequence[ChatMessage]
    options: GenerationOptions


def _check(data: CompletionInput) -> None:
    if not data.messages:
        message = "messages must contain at least one message."
        raise ValidationFailed([FieldError(("body", "messages"), message)], message)


class CompleteChat:
    """Answers a chat completion in one piece. Raises `ModelNotFound`, `PermissionDenied`,
    `ValidationFailed`, and `ProviderError` subclasses."""

    def __init__(self, access: ModelAccess, router: ModelRouter) -> None:
        self._access = access
        self._router = router

    async def __call__(self, principal: Principal, data: CompletionInput) -> RoutedCompletion:
        _check(data)
        model = await self._access.resolve(principal, data.model)
        return await self._router.complete(model, build_request(model, data.messages, data.options))


class StreamCompletion:
    """Opens a streamed chat completion: returns once the provider's first event arrived,
    so failures before the first byte surface as errors, not as a broken stream."""

    def __init__(self, access: ModelAccess, router: ModelRouter) -> None:
        self._access = access
        self._router = router

    async def __call__(self, principal: Principal, data: CompletionInput) -> OpenedStream:
        _check(data)
        model = await self._access.resolve(principal, data.model)
        return await self._router.open_stream(
            model, build_request(model, data.messages, data.options)
        )
