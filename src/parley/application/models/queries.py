"""Reading model configs: the admin's full view, and the models a caller may use."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from parley.application.models.catalog import ModelCatalog
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import NotFound, PermissionDenied
from parley.domain.identity import Principal
from parley.domain.models import ModelConfig


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied("This requires the admin role.")


class ListModelConfigs:
    """Every config, enabled or not, by name. Raises `PermissionDenied` for non-admins."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal) -> Sequence[ModelConfig]:
        require_admin(principal)
        async with self._uow_factory() as uow:
            return await uow.models.list_all()


class GetModelConfig:
    """One config. Raises `PermissionDenied` for non-admins, `NotFound` for an unknown id."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal, model_id: UUID) -> ModelConfig:
        require_admin(principal)
        async with self._uow_factory() as uow:
            model = await uow.models.get(model_id)
        if model is None:
            raise NotFound("No such model.")
        return model


class ListAvailableModels:
    """The enabled models the caller's tier may use, by name, from the in-process catalog."""

    def __init__(self, catalog: ModelCatalog) -> None:
        self._catalog = catalog

    async def __call__(self, principal: Principal) -> list[ModelConfig]:
        return await self._catalog.available_to(principal.tier)
