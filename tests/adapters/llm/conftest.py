"""Fixtures for provider adapter tests: a scripted upstream and started adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from parley.adapters.llm.anthropic import AnthropicProvider
from parley.adapters.llm.openai_compatible import OpenAICompatibleProvider
from parley.application.ports.chat_provider import ProviderEndpoint
from parley.domain.chat import ChatMessage, ChatRequest, StreamEvent
from parley.domain.models import Timeouts
from tests.support.scripted_upstream import ScriptedUpstream

SECRET_KEY = "sk-test-SECRET-do-not-leak-1234"

EndpointFactory = Callable[..., ProviderEndpoint]


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


@pytest.fixture
async def openai_provider() -> AsyncIterator[OpenAICompatibleProvider]:
    provider = OpenAICompatibleProvider()
    await provider.start()
    yield provider
    await provider.aclose()


@pytest.fixture
async def anthropic_provider() -> AsyncIterator[AnthropicProvider]:
    provider = AnthropicProvider()
    await provider.start()
    yield provider
    await provider.aclose()


@pytest.fixture
def openai_endpoint(upstream: ScriptedUpstream) -> EndpointFactory:
    def make(**timeouts: float) -> ProviderEndpoint:
        return ProviderEndpoint(
            base_url=upstream.openai_base_url, api_key=SECRET_KEY, timeouts=Timeouts(**timeouts)
        )

    return make


@pytest.fixture
def anthropic_endpoint(upstream: ScriptedUpstream) -> EndpointFactory:
    def make(**timeouts: float) -> ProviderEndpoint:
        return ProviderEndpoint(
            base_url=upstream.base_url, api_key=SECRET_KEY, timeouts=Timeouts(**timeouts)
        )

    return make


def user_request(text: str = "Hello?", **fields: Any) -> ChatRequest:
    return ChatRequest(
        model="scripted-model", messages=(ChatMessage(role="user", content=text),), **fields
    )


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in events]
