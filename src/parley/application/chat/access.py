"""Which models a caller may use."""

from __future__ import annotations

from parley.application.ports.model_lookup import ModelLookup
from parley.domain.errors import NotFound, PermissionDenied
from parley.domain.identity import Principal
from parley.domain.models import ModelConfig


class ModelNotFound(NotFound):
    detail = "No such model."


class ModelAccess:
    """Resolves a public model name for a caller. Raises `ModelNotFound` for an unknown or
    disabled model and `PermissionDenied` when the caller's tier does not include it."""

    def __init__(self, lookup: ModelLookup) -> None:
        self._lookup = lookup

    async def resolve(self, principal: Principal, name: str) -> ModelConfig:
        model = await self._lookup.get(name)
        if model is None or not model.enabled:
            raise ModelNotFound(f"The model '{name}' does not exist.")
        if principal.tier not in model.tiers:
            raise PermissionDenied(f"Your plan ({principal.tier.value}) does not include '{name}'.")
        return model
