"""API keys: made and shown once, listed without their secret, revoked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from parley.application.identity.audit_events import audit_event
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.context import ClientInfo
from parley.application.identity.credentials import new_api_key
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import FieldError, NotFound, ValidationFailed
from parley.domain.identity import ApiKey, Principal


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    key: ApiKey
    secret: str


class CreateApiKey:
    """Raises `ValidationFailed` when `expires_at` is not in the future."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(
        self, principal: Principal, name: str, expires_at: datetime | None, client: ClientInfo
    ) -> CreatedApiKey:
        now = self._clock.now()
        if expires_at is not None and expires_at <= now:
            message = "expires_at must be in the future."
            raise ValidationFailed([FieldError(("body", "expires_at"), message)], message)
        secret, prefix, key_hash = new_api_key()
        key = ApiKey(
            uuid.uuid4(), principal.user_id, name.strip(), prefix, key_hash, now, expires_at
        )
        async with self._uow_factory() as uow:
            await uow.api_keys.add(key)
            await uow.audit.append(
                audit_event(
                    "apikey.created",
                    now,
                    client,
                    actor_id=principal.user_id,
                    target_type="api_key",
                    target_id=key.id,
                    name=key.name,
                    prefix=prefix,
                )
            )
            await uow.commit()
        return CreatedApiKey(key, secret)


class ListApiKeys:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal) -> Sequence[ApiKey]:
        async with self._uow_factory() as uow:
            return await uow.api_keys.list_for_user(principal.user_id)


class RevokeApiKey:
    """Revokes one of the caller's keys at once (every replica); anyone else's is `NotFound`."""

    def __init__(self, uow_factory: UnitOfWorkFactory, state: AuthStateCache, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._state = state
        self._clock = clock

    async def __call__(self, principal: Principal, key_id: uuid.UUID, client: ClientInfo) -> None:
        now = self._clock.now()
        async with self._uow_factory() as uow:
            key = await uow.api_keys.get(key_id)
            if key is None or key.user_id != principal.user_id or key.revoked_at is not None:
                raise NotFound("No such API key.")
            key.revoked_at = now
            await uow.api_keys.update(key)
            await uow.audit.append(
                audit_event(
                    "apikey.revoked",
                    now,
                    client,
                    actor_id=principal.user_id,
                    target_type="api_key",
                    target_id=key.id,
                )
            )
            await uow.commit()
        await self._state.store_api_key(key)
