"""Changing one's password."""

from __future__ import annotations

import asyncio

from parley.application.identity.audit_events import audit_event
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.context import ClientInfo
from parley.application.identity.password_policy import PasswordPolicy
from parley.application.identity.sessions import SessionRevoker
from parley.application.ports.clock import Clock
from parley.application.ports.security import PasswordHasher
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import AuthenticationRequired, FieldError, ValidationFailed
from parley.domain.identity import Principal


class ChangePassword:
    """Checks the current password (`ValidationFailed` on `current_password` when wrong) and the
    new one against the policy, stores the new hash, and revokes every other session."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        revoker: SessionRevoker,
        state: AuthStateCache,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher
        self._policy = policy
        self._revoker = revoker
        self._state = state
        self._clock = clock

    async def __call__(
        self, principal: Principal, current_password: str, new_password: str, client: ClientInfo
    ) -> None:
        self._policy.check(new_password, field="new_password")
        async with self._uow_factory() as uow:
            user = await uow.users.get(principal.user_id)
            if user is None:
                raise AuthenticationRequired()
            matches, _ = await asyncio.to_thread(
                self._hasher.verify, current_password, user.password_hash
            )
            if not matches:
                message = "The current password is not correct."
                raise ValidationFailed([FieldError(("body", "current_password"), message)], message)
            user.password_hash = await asyncio.to_thread(self._hasher.hash, new_password)
            user.updated_at = self._clock.now()
            await uow.users.update(user)
            await uow.audit.append(
                audit_event(
                    "auth.password.changed",
                    user.updated_at,
                    client,
                    actor_id=user.id,
                    target_type="user",
                    target_id=user.id,
                )
            )
            await uow.commit()
        await self._revoker.revoke_where(
            user.id,
            client,
            actor_id=user.id,
            action="auth.sessions.revoked_after_password_change",
            keep=principal.session_id,
        )
