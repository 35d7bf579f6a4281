"""Usage limits: what a tier allows, and what an operator set for one user or one key."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from parley.domain.users import Tier
from parley.domain.values import cheap_init


@cheap_init
@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """None means unlimited. Token limits count prompt and completion tokens together."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    tokens_per_day: int | None = None
    concurrent_streams: int | None = None
    max_output_tokens: int | None = None
    monthly_budget: Decimal | None = None

    def overridden_by(self, override: LimitOverride | None) -> LimitPolicy:
        if override is None:
            return self
        changes = {
            f.name: getattr(override, f.name)
            for f in fields(override)
            if f.name in override.set_fields
        }
        return replace(self, **changes)


@cheap_init
@dataclass(frozen=True, slots=True)
class LimitOverride:
    """Only the fields named in `set_fields` override (a field set to None there means
    "unlimited" for this subject)."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    tokens_per_day: int | None = None
    concurrent_streams: int | None = None
    max_output_tokens: int | None = None
    monthly_budget: Decimal | None = None
    set_fields: frozenset[str] = frozenset()

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> LimitOverride:
        known = {f.name for f in fields(cls)} - {"set_fields"}
        chosen = {k: v for k, v in values.items() if k in known}
        if chosen.get("monthly_budget") is not None:
            chosen["monthly_budget"] = Decimal(str(chosen["monthly_budget"]))
        return cls(**chosen, set_fields=frozenset(chosen))

    def as_mapping(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in sorted(self.set_fields)}
        if values.get("monthly_budget") is not None:
            values["monthly_budget"] = str(values["monthly_budget"])
        return values


DEFAULT_TIER_POLICIES: dict[Tier, LimitPolicy] = {
    Tier.FREE: LimitPolicy(
        requests_per_minute=60,
        tokens_per_minute=60_000,
        tokens_per_day=500_000,
        concurrent_streams=4,
        max_output_tokens=4096,
        monthly_budget=Decimal("5"),
    ),
    Tier.PRO: LimitPolicy(
        requests_per_minute=600,
        tokens_per_minute=600_000,
        tokens_per_day=10_000_000,
        concurrent_streams=20,
        max_output_tokens=16_384,
        monthly_budget=Decimal("200"),
    ),
    Tier.ENTERPRISE: LimitPolicy(
        requests_per_minute=6000,
        tokens_per_minute=6_000_000,
        tokens_per_day=None,
        concurrent_streams=200,
        max_output_tokens=None,
        monthly_budget=None,
    ),
}
