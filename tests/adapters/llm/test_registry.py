"""`HttpProviderRegistry`: model config → (adapter, endpoint)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from parley.adapters.llm.anthropic import AnthropicProvider
from parley.adapters.llm.echo import EchoProvider
from parley.adapters.llm.openai_compatible import OpenAICompatibleProvider
from parley.adapters.llm.registry import HttpProviderRegistry
from parley.domain.errors import ProviderAuthFailed, ProviderRejected
from parley.domain.models import ModelConfig, Timeouts


def model(provider: str, **fields: object) -> ModelConfig:
    now = datetime.now(UTC)
    defaults: dict[str, object] = {
        "id": uuid4(),
        "name": f"{provider}-model",
        "provider": provider,
        "upstream_model": "upstream",
        "context_window": 8192,
        "input_price_per_mtok": Decimal(0),
        "output_price_per_mtok": Decimal(0),
        "tiers": [],
        "fallbacks": [],
        "enabled": True,
        "created_at": now,
        "updated_at": now,
    }
    return ModelConfig(**{**defaults, **fields})  # type: ignore[arg-type]


def keys(mapping: dict[str, str]) -> HttpProviderRegistry:
    return HttpProviderRegistry.with_default_providers(lambda m: mapping.get(m.provider))


@pytest.mark.parametrize(
    ("provider", "adapter", "base_url"),
    [
        ("openai", OpenAICompatibleProvider, "https://api.openai.com/v1"),
        ("openai-compatible", OpenAICompatibleProvider, "https://api.openai.com/v1"),
        ("ollama", OpenAICompatibleProvider, "http://localhost:11434/v1"),
        ("anthropic", AnthropicProvider, "https://api.anthropic.com"),
        ("echo", EchoProvider, ""),
    ],
)
def test_each_provider_name_resolves_to_its_adapter_and_default_url(
    provider: str, adapter: type, base_url: str
) -> None:
    registry = keys({provider: "k"})

    found, endpoint = registry.provider_for(model(provider, timeouts=Timeouts(idle=5)))

    assert isinstance(found, adapter)
    assert endpoint.base_url == base_url
    assert endpoint.api_key == "k"
    assert endpoint.timeouts == Timeouts(idle=5)


def test_config_base_url_wins_over_default() -> None:
    _, endpoint = keys({}).provider_for(model("ollama", base_url="http://gpu:8000/v1"))
    assert endpoint.base_url == "http://gpu:8000/v1"
    assert endpoint.api_key is None


def test_overridden_default_base_url() -> None:
    registry = HttpProviderRegistry.with_default_providers(
        lambda m: None, {"ollama": "http://ollama:11434/v1"}
    )
    _, endpoint = registry.provider_for(model("ollama"))
    assert endpoint.base_url == "http://ollama:11434/v1"


def test_unknown_provider_is_rejected_clearly() -> None:
    with pytest.raises(ProviderRejected) as caught:
        keys({}).provider_for(model("mystery"))
    assert "mystery" in caught.value.detail


def test_named_secret_that_is_not_set_fails_auth() -> None:
    with pytest.raises(ProviderAuthFailed):
        keys({}).provider_for(model("openai", api_key_env="OPENAI_API_KEY"))


def test_anthropic_without_key_fails_auth() -> None:
    with pytest.raises(ProviderAuthFailed):
        keys({}).provider_for(model("anthropic"))


async def test_start_and_aclose_each_adapter_once() -> None:
    registry = keys({"openai": "k"})
    await registry.start()
    await registry.start()  # idempotent
    await registry.aclose()
    await registry.aclose()
