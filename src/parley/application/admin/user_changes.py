"""Admin changes to a user's role, tier and status, soft deletion, and forced sign-out.

A change that blocks a user (suspended or deleted) takes effect on every replica at once: the
new user state is written over the shared auth cache after the commit, and the user's sessions
are revoked. No change may leave the installation without an active admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from parley.application.identity.audit_events import audit_event
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.context import ClientInfo
from parley.application.identity.sessions import SessionRevoker
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.domain.audit import Outcome
from parley.domain.errors import LastActiveAdmin, NotFound
from parley.domain.identity import ApiKey, Principal
from parley.domain.users import Role, Tier, User, UserStatus

SESSIONS_REVOKED = "admin.user.sessions_revoked"


@dataclass(frozen=True, slots=True)
class UserChange:
    """The only fields an admin may change; `None` leaves a field as it is."""

    role: Role | None = None
    tier: Tier | None = None
    status: UserStatus | None = None

    @property
    def may_remove_an_admin(self) -> bool:
        return self.role is Role.USER or self.status in {UserStatus.SUSPENDED, UserStatus.DELETED}

    def requested(self) -> dict[str, str]:
        return {
            name: value.value
            for name, value in (("role", self.role), ("tier", self.tier), ("status", self.status))
            if value is not None
        }


def _snapshot(user: User) -> dict[str, str]:
    return {"role": user.role.value, "tier": user.tier.value, "status": user.status.value}


def _is_active_admin(state: dict[str, str]) -> bool:
    return state["role"] == Role.ADMIN.value and state["status"] == UserStatus.ACTIVE.value


class UserChanger:
    """Shared by `UpdateUser` and `DeleteUser`. Raises `NotFound` for an unknown user and
    `LastActiveAdmin` (recorded as a failed attempt) when the change would demote, suspend or
    delete the last active admin."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        state: AuthStateCache,
        revoker: SessionRevoker,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._state = state
        self._revoker = revoker
        self._clock = clock

    async def apply(
        self,
        actor: Principal,
        user_id: UUID,
        change: UserChange,
        client: ClientInfo,
        *,
        action: str,
    ) -> User:
        now = self._clock.now()
        try:
            async with self._uow_factory() as uow:
                # Admins are locked first, before the target row: one lock order everywhere.
                admins = await uow.users.lock_active_admins() if change.may_remove_an_admin else []
                user = await uow.users.get_for_update(user_id)
                if user is None:
                    raise NotFound("No such user.")
                before = _snapshot(user)
                user.role = change.role or user.role
                user.tier = change.tier or user.tier
                user.status = change.status or user.status
                after = _snapshot(user)
                if (
                    _is_active_admin(before)
                    and not _is_active_admin(after)
                    and not [admin for admin in admins if admin != user.id]
                ):
                    raise LastActiveAdmin()
                revoked_keys = await self._revoke_keys(uow, user, before, now)
                if after != before:
                    user.updated_at = now
                    await uow.users.update(user)
                details: dict[str, Any] = {"before": before, "after": after}
                if revoked_keys:
                    details["api_keys_revoked"] = len(revoked_keys)
                await uow.audit.append(
                    audit_event(
                        action,
                        now,
                        client,
                        actor_id=actor.user_id,
                        target_type="user",
                        target_id=user.id,
                        **details,
                    )
                )
                await uow.commit()
        except LastActiveAdmin:
            await self._record_refusal(actor, user_id, change, client, action)
            raise
        await self._state.store_user(user)
        for key in revoked_keys:
            await self._state.store_api_key(key)
        if before["status"] != after["status"] and user.status is not UserStatus.ACTIVE:
            await self._revoker.revoke_where(
                user.id, client, actor_id=actor.user_id, action=SESSIONS_REVOKED
            )
        return user

    async def _revoke_keys(
        self, uow: UnitOfWork, user: User, before: dict[str, str], now: datetime
    ) -> list[ApiKey]:
        if user.status is not UserStatus.DELETED or before["status"] == UserStatus.DELETED.value:
            return []
        keys = list(await uow.api_keys.list_for_user(user.id))
        for key in keys:
            key.revoked_at = now
            await uow.api_keys.update(key)
        return keys

    async def _record_refusal(
        self,
        actor: Principal,
        user_id: UUID,
        change: UserChange,
        client: ClientInfo,
        action: str,
    ) -> None:
        async with self._uow_factory() as uow:
            await uow.audit.append(
                audit_event(
                    action,
                    self._clock.now(),
                    client,
                    actor_id=actor.user_id,
                    target_type="user",
                    target_id=user_id,
                    outcome=Outcome.FAILURE,
                    requested=change.requested(),
                    reason="last_active_admin",
                )
            )
            await uow.commit()


class UpdateUser:
    """Changes a user's role, tier and/or status (`admin.user.updated`, with before and after).
    Suspending revokes the user's sessions; their API keys stop working while suspended.
    Raises `NotFound`, `LastActiveAdmin`."""

    def __init__(self, changer: UserChanger) -> None:
        self._changer = changer

    async def __call__(
        self, actor: Principal, user_id: UUID, change: UserChange, client: ClientInfo
    ) -> User:
        return await self._changer.apply(
            actor, user_id, change, client, action="admin.user.updated"
        )


class DeleteUser:
    """Soft-deletes a user: status `deleted`, API keys and sessions revoked
    (`admin.user.deleted`). The row stays for the audit trail. Raises `NotFound`,
    `LastActiveAdmin`."""

    def __init__(self, changer: UserChanger) -> None:
        self._changer = changer

    async def __call__(self, actor: Principal, user_id: UUID, client: ClientInfo) -> None:
        await self._changer.apply(
            actor,
            user_id,
            UserChange(status=UserStatus.DELETED),
            client,
            action="admin.user.deleted",
        )


class RevokeUserSessions:
    """Signs a user out everywhere (`admin.user.sessions_revoked`). Raises `NotFound`."""

    def __init__(self, uow_factory: UnitOfWorkFactory, revoker: SessionRevoker) -> None:
        self._uow_factory = uow_factory
        self._revoker = revoker

    async def __call__(self, actor: Principal, user_id: UUID, client: ClientInfo) -> None:
        async with self._uow_factory() as uow:
            exists = await uow.users.get(user_id) is not None
        if not exists:
            raise NotFound("No such user.")
        await self._revoker.revoke_where(
            user_id, client, actor_id=actor.user_id, action=SESSIONS_REVOKED
        )
