"""What a chat with a model is made of, independent of any provider's wire format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from parley.domain.values import cheap_init

ChatRole = Literal["system", "user", "assistant", "tool"]


@cheap_init
@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for. `arguments` is the JSON text exactly as the model wrote it."""

    id: str
    name: str
    arguments: str


@cheap_init
@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model: `parameters` is a JSON Schema object."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@cheap_init
@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image for providers that accept images: raw bytes and their media type."""

    media_type: str
    data: bytes


@cheap_init
@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: ChatRole
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    images: tuple[ImagePart, ...] = ()


@cheap_init
@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@cheap_init
@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One request to a provider. `model` is the provider's own model name (upstream_model).

    `extra` carries request fields Parley does not interpret; OpenAI-compatible providers
    pass them through to the upstream body, others ignore them.
    """

    model: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: Any = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


# --- what a provider yields while streaming ---------------------------------------------------


@cheap_init
@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@cheap_init
@dataclass(frozen=True, slots=True)
class ToolCallEvent:
    """A complete tool call (providers assemble streamed argument fragments before yielding)."""

    call: ToolCall


@cheap_init
@dataclass(frozen=True, slots=True)
class UsageEvent:
    usage: Usage


@cheap_init
@dataclass(frozen=True, slots=True)
class FinishEvent:
    """The provider said the answer is complete: "stop", "length", "tool_calls", ..."""

    reason: str


StreamEvent = TextDelta | ToolCallEvent | UsageEvent | FinishEvent


@cheap_init
@dataclass(frozen=True, slots=True)
class ChatCompletion:
    """A whole (non-streamed) answer."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage | None
    finish_reason: str
