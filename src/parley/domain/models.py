"""Model configurations: which upstream model a public model name routes to, and its terms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from parley.domain.users import Tier

PROVIDERS = frozenset({"openai", "openai-compatible", "ollama", "anthropic", "echo"})
"""The provider kinds Parley can route to; each has an adapter."""

MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9._:/-]{1,100}$")
"""A public model name: what clients send as `model`."""


class ModelSource(StrEnum):
    """Who owns a config. Startup registration upserts `env` and `file` configs by name but
    never touches `admin` ones; an admin's edit of an env/file config makes it `admin`."""

    ADMIN = "admin"
    ENV = "env"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. `first_token` bounds the wait for the first byte of the answer, `idle` the gap
    between two streamed chunks, `total` the whole call."""

    connect: float = 10.0
    first_token: float = 60.0
    idle: float = 60.0
    total: float = 600.0


@dataclass(slots=True)
class ModelConfig:
    id: UUID
    name: str
    provider: str
    upstream_model: str
    context_window: int
    input_price_per_mtok: Decimal
    output_price_per_mtok: Decimal
    tiers: list[Tier]
    fallbacks: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    base_url: str | None = None
    api_key_env: str | None = None
    api_key_encrypted: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    owned_by: str = "parley"
    source: ModelSource = ModelSource.ADMIN

    @property
    def has_api_key(self) -> bool:
        """A secret is configured (stored encrypted, or named by an environment variable)."""
        return self.api_key_encrypted is not None or self.api_key_env is not None

    def allows(self, tier: Tier) -> bool:
        return self.enabled and tier in self.tiers

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        per_token = Decimal(1_000_000)
        return (
            self.input_price_per_mtok * prompt_tokens
            + self.output_price_per_mtok * completion_tokens
        ) / per_token
