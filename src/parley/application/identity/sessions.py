"""Seeing and ending one's own sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from parley.application.identity.audit_events import audit_event
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.context import ClientInfo
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import NotFound, PermissionDenied
from parley.domain.identity import AuthSession, CredentialKind, Principal


@dataclass(frozen=True, slots=True)
class SessionView:
    session: AuthSession
    current: bool


class SessionRevoker:
    """Revokes sessions in the database and in the shared auth cache, with one audit event."""

    def __init__(self, uow_factory: UnitOfWorkFactory, state: AuthStateCache, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._state = state
        self._clock = clock

    async def revoke_where(
        self,
        user_id: UUID,
        client: ClientInfo,
        *,
        actor_id: UUID,
        action: str,
        only: UUID | None = None,
        keep: UUID | None = None,
    ) -> int:
        """Revoke the user's active sessions (`only` one of them, or all but `keep`).
        Raises `NotFound` when `only` names no active session of the user."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            sessions = [
                s
                for s in await uow.sessions.list_active(user_id, now)
                if (only is None or s.id == only) and s.id != keep
            ]
            if only is not None and not sessions:
                raise NotFound("No such session.")
            await uow.sessions.revoke([s.id for s in sessions], now)
            await uow.audit.append(
                audit_event(
                    action,
                    now,
                    client,
                    actor_id=actor_id,
                    target_type="session" if only else "user",
                    target_id=only or user_id,
                    sessions_revoked=len(sessions),
                )
            )
            await uow.commit()
        for session in sessions:
            session.revoked_at = now
            await self._state.store_session(session)
        return len(sessions)


class Logout:
    """Ends the caller's current session. Raises `PermissionDenied` for API-key callers:
    a key is revoked with `RevokeApiKey`, not signed out."""

    def __init__(self, revoker: SessionRevoker) -> None:
        self._revoker = revoker

    async def __call__(self, principal: Principal, client: ClientInfo) -> None:
        if principal.kind is not CredentialKind.SESSION or principal.session_id is None:
            raise PermissionDenied("Sign-out applies to sessions; revoke API keys instead.")
        await self._revoker.revoke_where(
            principal.user_id,
            client,
            actor_id=principal.user_id,
            action="auth.logout",
            only=principal.session_id,
        )


class LogoutAll:
    """Ends every session of the caller."""

    def __init__(self, revoker: SessionRevoker) -> None:
        self._revoker = revoker

    async def __call__(self, principal: Principal, client: ClientInfo) -> None:
        await self._revoker.revoke_where(
            principal.user_id, client, actor_id=principal.user_id, action="auth.logout_all"
        )


class ListSessions:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(self, principal: Principal) -> Sequence[SessionView]:
        async with self._uow_factory() as uow:
            sessions = await uow.sessions.list_active(principal.user_id, self._clock.now())
        return [SessionView(s, s.id == principal.session_id) for s in sessions]


class RevokeSession:
    """Revokes one of the caller's own sessions; anyone else's is `NotFound`."""

    def __init__(self, revoker: SessionRevoker) -> None:
        self._revoker = revoker

    async def __call__(self, principal: Principal, session_id: UUID, client: ClientInfo) -> None:
        await self._revoker.revoke_where(
            principal.user_id,
            client,
            actor_id=principal.user_id,
            action="auth.session.revoked",
            only=session_id,
        )
