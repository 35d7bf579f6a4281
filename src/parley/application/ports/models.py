"""Persistence port for model configurations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from parley.domain.models import ModelConfig


class ModelConfigRepository(Protocol):
    async def add(self, model: ModelConfig) -> None:
        """Raises `ModelNameTaken` when another config already has the name."""
        ...

    async def get(self, model_id: UUID) -> ModelConfig | None: ...

    async def get_by_name(self, name: str) -> ModelConfig | None:
        """Exact (case-sensitive) match on the public name."""
        ...

    async def list_all(self) -> Sequence[ModelConfig]:
        """Every config, enabled or not, ordered by name."""
        ...

    async def update(self, model: ModelConfig) -> None:
        """Persist every field but `id` and `created_at`."""
        ...

    async def delete(self, model_id: UUID) -> None: ...
