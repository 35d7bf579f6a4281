"""Finding a model config by its public name, on the hot path."""

from __future__ import annotations

from typing import Protocol

from parley.domain.models import ModelConfig


class ModelLookup(Protocol):
    async def get(self, name: str) -> ModelConfig | None:
        """The config named `name` (enabled or not), or None. Served from memory."""
        ...
