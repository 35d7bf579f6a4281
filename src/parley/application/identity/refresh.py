"""Renewing a session: one refresh token in, a new pair out, the old token spent."""

from __future__ import annotations

import uuid

from parley.application.identity.audit_events import audit_event
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.context import ClientInfo
from parley.application.identity.credentials import hash_secret, new_refresh_token
from parley.application.identity.login import TokenPair
from parley.application.ports.clock import Clock
from parley.application.ports.security import AccessTokenIssuer
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.audit import Outcome
from parley.domain.errors import AuthenticationRequired, RefreshTokenReused
from parley.domain.identity import RefreshToken


class RefreshSession:
    """Rotates the refresh token. Presenting a token that was already used (a replay, or the
    loser of two concurrent refreshes) revokes the whole session and raises
    `RefreshTokenReused`; any other unusable token raises `AuthenticationRequired`."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        issuer: AccessTokenIssuer,
        state: AuthStateCache,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._issuer = issuer
        self._state = state
        self._clock = clock

    async def __call__(self, refresh_token: str, client: ClientInfo) -> TokenPair:
        now = self._clock.now()
        async with self._uow_factory() as uow:
            stored = await uow.refresh_tokens.get_by_hash(hash_secret(refresh_token))
            if stored is None:
                raise AuthenticationRequired()
            session = await uow.sessions.get(stored.session_id)
            if session is None or not session.is_active(now) or stored.expires_at <= now:
                raise AuthenticationRequired()
            if stored.used_at is not None or not await uow.refresh_tokens.mark_used(stored.id, now):
                await uow.sessions.revoke([session.id], now)
                session.revoked_at = now
                await uow.audit.append(
                    audit_event(
                        "auth.refresh.reuse_detected",
                        now,
                        client,
                        actor_id=session.user_id,
                        target_type="session",
                        target_id=session.id,
                        outcome=Outcome.FAILURE,
                    )
                )
                await uow.commit()
                await self._state.store_session(session)
                raise RefreshTokenReused()
            user = await uow.users.get(session.user_id)
            if user is None or not user.is_active:
                raise AuthenticationRequired()
            token, token_hash = new_refresh_token()
            await uow.refresh_tokens.add(
                RefreshToken(uuid.uuid4(), session.id, token_hash, now, session.expires_at)
            )
            await uow.sessions.touch(session.id, now)
            await uow.commit()
        access_token, expires_in = self._issuer.issue(user.id, session.id, now)
        return TokenPair(access_token, token, expires_in, user)
