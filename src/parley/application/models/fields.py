"""The settable fields of a model config, and the rules they must satisfy."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from parley.domain.errors import FieldError
from parley.domain.models import MODEL_NAME_PATTERN, PROVIDERS, ModelConfig, Timeouts
from parley.domain.users import Tier

PATCHABLE_FIELDS = frozenset(
    {
        "provider",
        "upstream_model",
        "base_url",
        "api_key_env",
        "context_window",
        "input_price_per_mtok",
        "output_price_per_mtok",
        "tiers",
        "fallbacks",
        "enabled",
        "params",
        "timeouts",
        "owned_by",
    }
)
"""What PATCH may change. Not `name`: it is the public id clients, conversations and other
models' fallbacks refer to. Not `source`, `id` or the stored secret (see `api_key`)."""


@dataclass(frozen=True, slots=True)
class ModelFields:
    """A model config as an admin or a configuration source declares it (no secret value)."""

    name: str
    provider: str
    upstream_model: str
    base_url: str | None = None
    api_key_env: str | None = None
    context_window: int = 8192
    input_price_per_mtok: Decimal = Decimal(0)
    output_price_per_mtok: Decimal = Decimal(0)
    tiers: tuple[Tier, ...] = tuple(Tier)
    fallbacks: tuple[str, ...] = ()
    enabled: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    owned_by: str = "parley"


def fields_of(model: ModelConfig) -> ModelFields:
    return ModelFields(
        name=model.name,
        provider=model.provider,
        upstream_model=model.upstream_model,
        base_url=model.base_url,
        api_key_env=model.api_key_env,
        context_window=model.context_window,
        input_price_per_mtok=model.input_price_per_mtok,
        output_price_per_mtok=model.output_price_per_mtok,
        tiers=tuple(model.tiers),
        fallbacks=tuple(model.fallbacks),
        enabled=model.enabled,
        params=dict(model.params),
        timeouts=model.timeouts,
        owned_by=model.owned_by,
    )


def apply_fields(model: ModelConfig, fields: ModelFields) -> None:
    """Copy declared fields onto a stored config (the secret and bookkeeping stay)."""
    model.name = fields.name
    model.provider = fields.provider
    model.upstream_model = fields.upstream_model
    model.base_url = fields.base_url
    model.api_key_env = fields.api_key_env
    model.context_window = fields.context_window
    model.input_price_per_mtok = fields.input_price_per_mtok
    model.output_price_per_mtok = fields.output_price_per_mtok
    model.tiers = list(fields.tiers)
    model.fallbacks = list(fields.fallbacks)
    model.enabled = fields.enabled
    model.params = dict(fields.params)
    model.timeouts = fields.timeouts
    model.owned_by = fields.owned_by


def field_errors(fields: ModelFields, known_names: Collection[str]) -> list[FieldError]:
    """Every rule a config breaks; `known_names` are the models its fallbacks may name."""
    errors: list[FieldError] = []

    def fail(name: str, message: str) -> None:
        errors.append(FieldError(("body", name), message))

    if not MODEL_NAME_PATTERN.match(fields.name):
        fail("name", "Use 1-100 letters, digits and . _ : / - characters.")
    if fields.provider not in PROVIDERS:
        fail("provider", f"Unknown provider; use one of {', '.join(sorted(PROVIDERS))}.")
    if not fields.upstream_model.strip():
        fail("upstream_model", "The upstream model name is required.")
    if fields.context_window <= 0:
        fail("context_window", "Must be a positive number of tokens.")
    for price in ("input_price_per_mtok", "output_price_per_mtok"):
        value: Decimal = getattr(fields, price)
        if not value.is_finite() or value < 0:
            fail(price, "Must be a non-negative number.")
    if len(set(fields.tiers)) != len(fields.tiers):
        fail("tiers", "A tier is listed twice.")
    if fields.name in fields.fallbacks:
        fail("fallbacks", "A model cannot be its own fallback.")
    if len(set(fields.fallbacks)) != len(fields.fallbacks):
        fail("fallbacks", "A fallback is listed twice.")
    unknown = [name for name in fields.fallbacks if name != fields.name and name not in known_names]
    if unknown:
        fail("fallbacks", f"No model is named {', '.join(map(repr, unknown))}.")
    timeouts = fields.timeouts
    if min(timeouts.connect, timeouts.first_token, timeouts.idle, timeouts.total) <= 0:
        fail("timeouts", "Every timeout must be a positive number of seconds.")
    return errors
