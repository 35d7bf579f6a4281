"""`HttpProviderRegistry`: which adapter and endpoint serve a model config."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from parley.application.ports.chat_provider import ChatProvider, ProviderEndpoint
from parley.domain.errors import ProviderAuthFailed, ProviderRejected
from parley.domain.models import ModelConfig

#: Provider names as model configs spell them, mapped to the adapter that serves them.
PROVIDER_ALIASES: Mapping[str, str] = {
    "openai": "openai",
    "openai-compatible": "openai",
    "ollama": "ollama",
    "anthropic": "anthropic",
    "echo": "echo",
}

DEFAULT_BASE_URLS: Mapping[str, str] = {
    "openai": "https://api.openai.com/v1",
    "ollama": "http://localhost:11434/v1",
    "anthropic": "https://api.anthropic.com",
}

#: Adapters that cannot work without a key (the others may talk to keyless local servers).
KEY_REQUIRED = frozenset({"anthropic"})

ApiKeyResolver = Callable[[ModelConfig], "str | None"]


class ManagedChatProvider(ChatProvider, Protocol):
    """A provider adapter with a lifecycle: `start()` before use, `aclose()` at shutdown."""

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


class HttpProviderRegistry:
    """Resolves a `ModelConfig` to (adapter, endpoint).

    `providers` maps canonical names ("openai", "ollama", "anthropic", "echo") to adapters;
    "openai-compatible" is an alias of "openai". The base URL is the config's own or the
    provider's default; the key comes from `resolve_api_key`. `provider_for` raises
    `ProviderRejected` for a provider name it does not know (or has no adapter for) and
    `ProviderAuthFailed` when the config names a secret that is not set, or Anthropic has
    no key at all. `start()` / `aclose()` start and close every distinct adapter.
    """

    def __init__(
        self,
        providers: Mapping[str, ManagedChatProvider],
        resolve_api_key: ApiKeyResolver,
        default_base_urls: Mapping[str, str] | None = None,
    ) -> None:
        self._providers = dict(providers)
        self._resolve_api_key = resolve_api_key
        self._base_urls = {**DEFAULT_BASE_URLS, **(default_base_urls or {})}

    @classmethod
    def with_default_providers(
        cls,
        resolve_api_key: ApiKeyResolver,
        default_base_urls: Mapping[str, str] | None = None,
    ) -> HttpProviderRegistry:
        """The standard set: one OpenAI-compatible adapter (shared by openai and ollama),
        one Anthropic adapter and the echo demo model."""
        from parley.adapters.llm.anthropic import AnthropicProvider
        from parley.adapters.llm.echo import EchoProvider
        from parley.adapters.llm.openai_compatible import OpenAICompatibleProvider

        openai = OpenAICompatibleProvider()
        providers: dict[str, ManagedChatProvider] = {
            "openai": openai,
            "ollama": openai,
            "anthropic": AnthropicProvider(),
            "echo": EchoProvider(),
        }
        return cls(providers, resolve_api_key, default_base_urls)

    def provider_for(self, model: ModelConfig) -> tuple[ChatProvider, ProviderEndpoint]:
        name = PROVIDER_ALIASES.get(model.provider.strip().lower())
        provider = self._providers.get(name) if name is not None else None
        if name is None or provider is None:
            known = ", ".join(sorted(PROVIDER_ALIASES))
            raise ProviderRejected(
                f"Model '{model.name}' names an unknown provider '{model.provider}' "
                f"(known: {known})."
            )
        api_key = self._resolve_api_key(model)
        names_secret = bool(model.api_key_env or model.api_key_encrypted)
        if not api_key and (names_secret or name in KEY_REQUIRED):
            raise ProviderAuthFailed(f"No API key is configured for model '{model.name}'.")
        base_url = model.base_url or self._base_urls.get(name, "")
        return provider, ProviderEndpoint(
            base_url=base_url, api_key=api_key or None, timeouts=model.timeouts
        )

    async def start(self) -> None:
        """Start every adapter (each once, even when it serves several names)."""
        for provider in self._distinct():
            await provider.start()

    async def aclose(self) -> None:
        """Close every adapter; keeps going if one fails, then re-raises the first error."""
        first_error: BaseException | None = None
        for provider in self._distinct():
            try:
                await provider.aclose()
            except Exception as exc:  # close the others anyway
                first_error = first_error or exc
        if first_error is not None:
            raise first_error

    def _distinct(self) -> Iterable[ManagedChatProvider]:
        seen: dict[int, ManagedChatProvider] = {}
        for provider in self._providers.values():
            seen.setdefault(id(provider), provider)
        return seen.values()
