"""Building the provider request from what the caller asked and the model's config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parley.domain.chat import ChatMessage, ChatRequest, ToolSpec
from parley.domain.models import ModelConfig
from parley.domain.values import cheap_init


@cheap_init
@dataclass(frozen=True, slots=True)
class GenerationOptions:
    """Sampling options a caller may set; `extra` holds fields Parley passes through."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_max_tokens(self, max_tokens: int | None) -> GenerationOptions:
        """These options with another `max_tokens` (every admitted request sets it: built
        directly, as `dataclasses.replace` costs several times more)."""
        return GenerationOptions(
            max_tokens=max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            stop=self.stop,
            tools=self.tools,
            tool_choice=self.tool_choice,
            extra=self.extra,
        )


def build_request(
    model: ModelConfig, messages: Sequence[ChatMessage], options: GenerationOptions
) -> ChatRequest:
    """The model config's `params` are defaults: what the caller sets wins."""
    max_tokens, temperature, top_p = options.max_tokens, options.temperature, options.top_p
    extra = options.extra
    if model.params:  # most models have none: nothing to merge
        params = dict(model.params)
        if max_tokens is None:
            max_tokens = params.get("max_tokens")
        if temperature is None:
            temperature = params.get("temperature")
        if top_p is None:
            top_p = params.get("top_p")
        extra = {
            **{k: v for k, v in params.items() if k not in {"max_tokens", "temperature", "top_p"}},
            **extra,
        }
    return ChatRequest(
        model=model.upstream_model,
        messages=tuple(messages),
        tools=options.tools,
        tool_choice=options.tool_choice,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        stop=options.stop,
        extra=extra,
    )
