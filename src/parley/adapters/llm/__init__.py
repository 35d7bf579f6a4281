"""Model provider adapters: OpenAI-compatible, Anthropic, the echo demo model, the registry.

Each HTTP adapter owns one pool of upstream connections (`adapters/llm/wire.py`): call `start()` in the app's lifespan
and `aclose()` on shutdown (or let `HttpProviderRegistry.start()` / `aclose()` do it).
"""

from parley.adapters.llm.anthropic import AnthropicProvider
from parley.adapters.llm.echo import EchoProvider
from parley.adapters.llm.openai_compatible import OpenAICompatibleProvider
from parley.adapters.llm.registry import HttpProviderRegistry

__all__ = [
    "AnthropicProvider",
    "EchoProvider",
    "HttpProviderRegistry",
    "OpenAICompatibleProvider",
]
