"""Admins create, change and delete model configs. Each change is audited and reaches the
catalog (this replica at once, the others within a second)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from parley.application.identity.audit_events import audit_event
from parley.application.identity.context import ClientInfo
from parley.application.models.catalog import ModelCatalog
from parley.application.models.fields import (
    PATCHABLE_FIELDS,
    ModelFields,
    apply_fields,
    field_errors,
    fields_of,
)
from parley.application.models.queries import require_admin
from parley.application.ports.clock import Clock
from parley.application.ports.secrets import SecretBox
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.models import ModelConfig, ModelSource

UNCHANGED: Any = object()
"""`api_key=UNCHANGED` leaves the stored secret alone; None removes it."""


def _both_secrets(api_key_env: str | None, api_key: str | None) -> list[FieldError]:
    if api_key_env is not None and api_key is not None:
        message = "Give either api_key or api_key_env, not both."
        return [FieldError(("body", "api_key"), message)]
    return []


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors, "; ".join(error.message for error in errors))


async def _names(uow: UnitOfWork) -> set[str]:
    return {model.name for model in await uow.models.list_all()}


class CreateModelConfig:
    """Adds a config (source `admin`). `api_key`, when given, is stored encrypted and never
    shown again. Raises `PermissionDenied` (non-admin), `ValidationFailed` (a rule broken,
    e.g. an unknown fallback) or `ModelNameTaken`."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, catalog: ModelCatalog, box: SecretBox, clock: Clock
    ) -> None:
        self._uow_factory = uow_factory
        self._catalog = catalog
        self._box = box
        self._clock = clock

    async def __call__(
        self, principal: Principal, fields: ModelFields, api_key: str | None, client: ClientInfo
    ) -> ModelConfig:
        require_admin(principal)
        now = self._clock.now()
        model = ModelConfig(
            id=uuid.uuid4(),
            name=fields.name,
            provider=fields.provider,
            upstream_model=fields.upstream_model,
            context_window=fields.context_window,
            input_price_per_mtok=fields.input_price_per_mtok,
            output_price_per_mtok=fields.output_price_per_mtok,
            tiers=[],
            fallbacks=[],
            enabled=fields.enabled,
            created_at=now,
            updated_at=now,
            api_key_encrypted=self._box.seal(api_key) if api_key is not None else None,
            source=ModelSource.ADMIN,
        )
        apply_fields(model, fields)
        async with self._uow_factory() as uow:
            errors = _both_secrets(fields.api_key_env, api_key)
            _raise_if(errors + field_errors(fields, await _names(uow)))
            await uow.models.add(model)
            await uow.audit.append(
                audit_event(
                    "admin.model.created",
                    now,
                    client,
                    actor_id=principal.user_id,
                    target_type="model",
                    target_id=model.id,
                    name=model.name,
                    provider=model.provider,
                    has_api_key=model.has_api_key,
                )
            )
            await uow.commit()
        await self._catalog.invalidate()
        return model


class UpdateModelConfig:
    """Applies the whitelisted fields in `changes` (see `PATCHABLE_FIELDS`; anything else is
    ignored) and, unless `api_key` is `UNCHANGED`, replaces (or with None removes) the stored
    secret. Setting one of `api_key` / `api_key_env` clears the other. An edited env/file
    config becomes an admin one, so startup registration no longer overwrites it.
    Raises `PermissionDenied`, `NotFound` or `ValidationFailed`."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, catalog: ModelCatalog, box: SecretBox, clock: Clock
    ) -> None:
        self._uow_factory = uow_factory
        self._catalog = catalog
        self._box = box
        self._clock = clock

    async def __call__(
        self,
        principal: Principal,
        model_id: uuid.UUID,
        changes: Mapping[str, Any],
        client: ClientInfo,
        api_key: str | None = UNCHANGED,
    ) -> ModelConfig:
        require_admin(principal)
        allowed = {key: value for key, value in changes.items() if key in PATCHABLE_FIELDS}
        if "tiers" in allowed:
            allowed["tiers"] = tuple(allowed["tiers"])
        if "fallbacks" in allowed:
            allowed["fallbacks"] = tuple(allowed["fallbacks"])
        now = self._clock.now()
        async with self._uow_factory() as uow:
            model = await uow.models.get(model_id)
            if model is None:
                raise NotFound("No such model.")
            fields = dataclasses.replace(fields_of(model), **allowed)
            new_key = None if api_key is UNCHANGED else api_key
            errors = _both_secrets(allowed.get("api_key_env"), new_key)
            _raise_if(errors + field_errors(fields, await _names(uow)))
            apply_fields(model, fields)
            if api_key is not UNCHANGED:
                model.api_key_encrypted = self._box.seal(api_key) if api_key is not None else None
                if api_key is not None:
                    model.api_key_env = None
            elif allowed.get("api_key_env") is not None:
                model.api_key_encrypted = None
            model.source = ModelSource.ADMIN
            model.updated_at = now
            await uow.models.update(model)
            await uow.audit.append(
                audit_event(
                    "admin.model.updated",
                    now,
                    client,
                    actor_id=principal.user_id,
                    target_type="model",
                    target_id=model.id,
                    name=model.name,
                    fields=sorted(allowed),
                    api_key_changed=api_key is not UNCHANGED,
                )
            )
            await uow.commit()
        await self._catalog.invalidate()
        return model


class DeleteModelConfig:
    """Removes a config. Raises `PermissionDenied`, `NotFound`, or `Conflict` while another
    model names it as a fallback. (A config registered from the environment or the models
    file comes back at the next start; disable it instead to keep it out.)"""

    def __init__(self, uow_factory: UnitOfWorkFactory, catalog: ModelCatalog, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._catalog = catalog
        self._clock = clock

    async def __call__(self, principal: Principal, model_id: uuid.UUID, client: ClientInfo) -> None:
        require_admin(principal)
        now = self._clock.now()
        async with self._uow_factory() as uow:
            model = await uow.models.get(model_id)
            if model is None:
                raise NotFound("No such model.")
            dependents = [
                other.name for other in await uow.models.list_all() if model.name in other.fallbacks
            ]
            if dependents:
                raise Conflict(
                    f"Model {model.name!r} is a fallback of {', '.join(map(repr, dependents))}; "
                    "remove it from their fallbacks first."
                )
            await uow.models.delete(model.id)
            await uow.audit.append(
                audit_event(
                    "admin.model.deleted",
                    now,
                    client,
                    actor_id=principal.user_id,
                    target_type="model",
                    target_id=model.id,
                    name=model.name,
                )
            )
            await uow.commit()
        await self._catalog.invalidate()
