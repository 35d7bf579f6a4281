"""Resolve a bearer credential (access token or API key) to the principal it acts for."""

from __future__ import annotations

from datetime import datetime

from parley.application.identity.auth_state import AuthStateCache, now_ts
from parley.application.identity.credentials import hash_secret, looks_like_api_key
from parley.application.identity.key_usage import ApiKeyUseRecorder
from parley.application.ports.clock import Clock
from parley.application.ports.security import AccessTokenIssuer
from parley.domain.errors import AuthenticationRequired
from parley.domain.identity import CredentialKind, Principal
from parley.domain.users import UserStatus


class Authenticate:
    """Answers in-process for a cached credential: no database round-trip per request.

    Raises `AuthenticationRequired` for a missing, malformed, expired or revoked credential,
    and for a user who is suspended or deleted, all with the same message.
    """

    def __init__(
        self,
        issuer: AccessTokenIssuer,
        state: AuthStateCache,
        key_uses: ApiKeyUseRecorder,
        clock: Clock,
    ) -> None:
        self._issuer = issuer
        self._state = state
        self._key_uses = key_uses
        self._clock = clock

    async def __call__(self, credential: str) -> Principal:
        now = self._clock.now()
        if looks_like_api_key(credential):
            return await self._from_api_key(credential, now)
        claims = self._issuer.verify(credential, now)
        session = await self._state.session(claims.session_id)
        if (
            session is None
            or not session.active
            or session.user_id != claims.user_id
            or session.expires_at <= now_ts(now)
        ):
            raise AuthenticationRequired()
        user = await self._state.user(claims.user_id)
        if user is None or user.status is not UserStatus.ACTIVE:
            raise AuthenticationRequired()
        return Principal(
            user_id=claims.user_id,
            role=user.role,
            tier=user.tier,
            status=user.status,
            kind=CredentialKind.SESSION,
            session_id=claims.session_id,
        )

    async def _from_api_key(self, credential: str, now: datetime) -> Principal:
        key = await self._state.api_key(hash_secret(credential))
        if (
            key is None
            or not key.active
            or (key.expires_at is not None and key.expires_at <= now_ts(now))
        ):
            raise AuthenticationRequired()
        user = await self._state.user(key.user_id)
        if user is None or user.status is not UserStatus.ACTIVE:
            raise AuthenticationRequired()
        self._key_uses.record(key.id, now)
        return Principal(
            user_id=key.user_id,
            role=user.role,
            tier=user.tier,
            status=user.status,
            kind=CredentialKind.API_KEY,
            api_key_id=key.id,
        )
