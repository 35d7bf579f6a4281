"""The provider request: a model's configured `params` are defaults the caller overrides."""

from __future__ import annotations

from typing import Any

from parley.application.chat.requests import GenerationOptions, build_request
from parley.domain.chat import ChatMessage
from parley.domain.models import ModelConfig
from tests.unit.model_fakes import model_config

MESSAGES = [ChatMessage(role="user", content="hello")]


def model(params: dict[str, Any]) -> ModelConfig:
    return model_config(upstream_model="upstream-model", params=params)


def test_without_params_the_request_is_what_the_caller_asked() -> None:
    options = GenerationOptions(max_tokens=50, temperature=0.5, stop=("END",), extra={"seed": 7})

    request = build_request(model({}), MESSAGES, options)

    assert request.model == "upstream-model"
    assert request.messages == tuple(MESSAGES)
    assert (request.max_tokens, request.temperature, request.top_p) == (50, 0.5, None)
    assert request.stop == ("END",)
    assert dict(request.extra) == {"seed": 7}


def test_params_fill_what_the_caller_left_out() -> None:
    configured = model({"max_tokens": 300, "temperature": 0.1, "top_p": 0.9, "seed": 1})

    request = build_request(configured, MESSAGES, GenerationOptions())

    assert (request.max_tokens, request.temperature, request.top_p) == (300, 0.1, 0.9)
    assert dict(request.extra) == {"seed": 1}


def test_what_the_caller_sets_wins_over_params() -> None:
    configured = model({"max_tokens": 300, "temperature": 0.1, "seed": 1, "user": "team"})
    options = GenerationOptions(max_tokens=20, temperature=0.0, extra={"seed": 9})

    request = build_request(configured, MESSAGES, options)

    assert (request.max_tokens, request.temperature) == (20, 0.0)
    assert dict(request.extra) == {"seed": 9, "user": "team"}
    assert configured.params == {"max_tokens": 300, "temperature": 0.1, "seed": 1, "user": "team"}
