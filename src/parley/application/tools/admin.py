"""Admins create, change and delete tool definitions; every change is audited. Secret
headers are sealed before they are stored and never shown again."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from typing import Any

from parley.application.identity.audit_events import audit_event
from parley.application.identity.context import ClientInfo
from parley.application.models.queries import require_admin
from parley.application.ports.clock import Clock
from parley.application.ports.secrets import SecretBox
from parley.application.ports.tools import ArgumentValidator
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.application.tools.fields import (
    BUILTIN_PATCHABLE_FIELDS,
    PATCHABLE_FIELDS,
    ToolFields,
    apply_fields,
    field_errors,
    fields_of,
    secret_header_errors,
)
from parley.application.tools.queries import AdminToolView, GetToolDefinition
from parley.application.tools.registry import ToolRegistry
from parley.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.tools import ToolDefinition, ToolKind

UNCHANGED: Any = object()
"""`secret_headers=UNCHANGED` keeps the stored secret headers; None removes them."""


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors, "; ".join(error.message for error in errors))


class _Base:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        registry: ToolRegistry,
        box: SecretBox,
        validator: ArgumentValidator,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._registry = registry
        self._box = box
        self._validator = validator
        self._clock = clock
        self._get = GetToolDefinition(registry)

    def _seal(self, secret_headers: Mapping[str, str] | None) -> str | None:
        return self._box.seal(json.dumps(dict(secret_headers))) if secret_headers else None


class CreateToolDefinition(_Base):
    """Adds a webhook or an MCP server. Raises `PermissionDenied`, `ValidationFailed` (a
    rule broken, a built-in's name, kind "builtin") or `ToolNameTaken`."""

    async def __call__(
        self,
        principal: Principal,
        fields: ToolFields,
        secret_headers: Mapping[str, str] | None,
        client: ClientInfo,
    ) -> AdminToolView:
        require_admin(principal)
        errors = secret_header_errors(secret_headers)
        if fields.kind is ToolKind.BUILTIN:
            errors.append(
                FieldError(("body", "kind"), "Built-in tools exist already; PATCH them instead.")
            )
        else:
            errors += field_errors(fields, self._registry.builtin_names, self._validator)
        _raise_if(errors)
        now = self._clock.now()
        definition = ToolDefinition(
            id=uuid.uuid4(),
            name=fields.name,
            kind=fields.kind,
            description="",
            parameters={},
            tiers=[],
            enabled=True,
            created_at=now,
            updated_at=now,
            secret_headers_encrypted=self._seal(secret_headers),
        )
        apply_fields(definition, fields)
        async with self._uow_factory() as uow:
            await uow.tools.add(definition)
            await uow.audit.append(
                audit_event(
                    "admin.tool.created",
                    now,
                    client,
                    actor_id=principal.user_id,
                    target_type="tool",
                    target_id=definition.id,
                    name=definition.name,
                    kind=definition.kind.value,
                    url=definition.url,
                    has_secret_headers=definition.has_secret_headers,
                )
            )
            await uow.commit()
        self._registry.forget(definition.name)
        return await self._get(principal, definition.name)


class UpdateToolDefinition(_Base):
    """Applies the whitelisted fields in `changes` (anything else is ignored; for a built-in
    only `tiers` and `enabled`, kept as an override) and, unless `secret_headers` is
    `UNCHANGED`, replaces (or with None removes) the sealed secret headers.
    Raises `PermissionDenied`, `NotFound` or `ValidationFailed`."""

    async def __call__(
        self,
        principal: Principal,
        name: str,
        changes: Mapping[str, Any],
        client: ClientInfo,
        secret_headers: Mapping[str, str] | None = UNCHANGED,
    ) -> AdminToolView:
        require_admin(principal)
        builtin = self._registry.builtin(name)
        allowed_keys = BUILTIN_PATCHABLE_FIELDS if builtin else PATCHABLE_FIELDS
        allowed = {key: value for key, value in changes.items() if key in allowed_keys}
        for key in ("tiers", "allowed_hosts"):
            if key in allowed:
                allowed[key] = tuple(allowed[key])
        now = self._clock.now()
        async with self._uow_factory() as uow:
            definition = await uow.tools.get_by_name(name)
            created = False
            if definition is None:
                if builtin is None:
                    raise NotFound("No such tool.")
                spec = builtin.spec
                definition = ToolDefinition(
                    id=uuid.uuid4(),
                    name=name,
                    kind=ToolKind.BUILTIN,
                    description=spec.description,
                    parameters=dict(spec.parameters),
                    tiers=list(spec.tiers),
                    enabled=spec.enabled,
                    created_at=now,
                    updated_at=now,
                )
                created = True
            fields = dataclasses.replace(fields_of(definition), **allowed)
            errors = field_errors(fields, self._registry.builtin_names, self._validator)
            if secret_headers is not UNCHANGED:
                errors += secret_header_errors(secret_headers)
            _raise_if(errors)
            apply_fields(definition, fields)
            if secret_headers is not UNCHANGED and builtin is None:
                definition.secret_headers_encrypted = self._seal(secret_headers)
            definition.updated_at = now
            if created:
                await uow.tools.add(definition)
            else:
                await uow.tools.update(definition)
            await uow.audit.append(
                audit_event(
                    "admin.tool.updated",
                    now,
                    client,
                    actor_id=principal.user_id,
                    target_type="tool",
                    target_id=definition.id,
                    name=definition.name,
                    fields=sorted(allowed),
                    secret_headers_changed=secret_headers is not UNCHANGED,
                )
            )
            await uow.commit()
        self._registry.forget(name)
        return await self._get(principal, name)


class DeleteToolDefinition(_Base):
    """Removes a webhook or MCP server definition. Raises `PermissionDenied`, `NotFound`, or
    `Conflict` for a built-in (switch it off with `enabled: false` instead)."""

    async def __call__(self, principal: Principal, name: str, client: ClientInfo) -> None:
        require_admin(principal)
        if self._registry.builtin(name) is not None:
            raise Conflict("Built-in tools cannot be deleted; set enabled to false instead.")
        now = self._clock.now()
        async with self._uow_factory() as uow:
            definition = await uow.tools.get_by_name(name)
            if definition is None:
                raise NotFound("No such tool.")
            await uow.tools.delete(definition.id)
            await uow.audit.append(
                audit_event(
                    "admin.tool.deleted",
                    now,
                    client,
                    actor_id=principal.user_id,
                    target_type="tool",
                    target_id=definition.id,
                    name=definition.name,
                )
            )
            await uow.commit()
        self._registry.forget(name)
