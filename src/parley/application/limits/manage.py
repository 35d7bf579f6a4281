"""Operators set or clear the limit overrides of one user or one API key."""

from __future__ import annotations

import uuid
from typing import Any

from parley.application.identity.audit_events import audit_event
from parley.application.identity.context import ClientInfo
from parley.application.limits.overrides import CachedLimitOverrides
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.limits import LimitOverride

SUBJECT_TYPES = frozenset({"user", "api_key"})


class SetLimitOverride:
    """Admins only (`PermissionDenied`). `values` maps limit names to a number, or to null
    for "unlimited"; an empty mapping clears the override. `NotFound` for an unknown subject."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, overrides: CachedLimitOverrides, clock: Clock
    ) -> None:
        self._uow_factory = uow_factory
        self._overrides = overrides
        self._clock = clock

    async def __call__(
        self,
        principal: Principal,
        subject_type: str,
        subject_id: uuid.UUID,
        values: dict[str, Any],
        client: ClientInfo,
    ) -> dict[str, Any]:
        if not principal.is_admin:
            raise PermissionDenied("This requires the admin role.")
        if subject_type not in SUBJECT_TYPES:
            raise NotFound()
        override = LimitOverride.from_mapping(values)
        unknown = set(values) - set(override.set_fields)
        if unknown:
            message = f"Unknown limits: {', '.join(sorted(unknown))}."
            raise ValidationFailed(
                [FieldError(("body", name), message) for name in sorted(unknown)], message
            )
        for name in override.set_fields:
            value = getattr(override, name)
            if value is not None and value < 0:
                raise ValidationFailed([FieldError(("body", name), "must not be negative")])
        async with self._uow_factory() as uow:
            exists = (
                await uow.users.get(subject_id)
                if subject_type == "user"
                else await uow.api_keys.get(subject_id)
            )
            if exists is None:
                raise NotFound()
            before = await uow.limit_overrides.get(subject_type, subject_id)
            stored = override.as_mapping()
            if stored:
                await uow.limit_overrides.put(subject_type, subject_id, stored)
            else:
                await uow.limit_overrides.delete(subject_type, subject_id)
            await uow.audit.append(
                audit_event(
                    "admin.limits.updated",
                    self._clock.now(),
                    client,
                    actor_id=principal.user_id,
                    target_type=subject_type,
                    target_id=subject_id,
                    before=before or {},
                    after=stored,
                )
            )
            await uow.commit()
        await self._overrides.forget(subject_type, subject_id)
        return stored
