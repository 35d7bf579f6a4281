"""Signing in: a password for a session and its first token pair."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from parley.application.identity.audit_events import audit_event
from parley.application.identity.context import ClientInfo
from parley.application.identity.credentials import new_refresh_token
from parley.application.ports.cache import WindowCounter
from parley.application.ports.clock import Clock
from parley.application.ports.security import AccessTokenIssuer, PasswordHasher
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.domain.audit import Outcome
from parley.domain.errors import InvalidCredentials, RateLimited
from parley.domain.identity import AuthSession, RefreshToken
from parley.domain.users import User


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    """Failed logins allowed per account and per client address in one window."""

    per_account: int
    per_address: int
    window_seconds: float


async def start_session(
    uow: UnitOfWork,
    user: User,
    client: ClientInfo,
    now: datetime,
    refresh_ttl: timedelta,
) -> tuple[AuthSession, str]:
    """Add a session and its first refresh token to `uow` (uncommitted)."""
    session = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        created_at=now,
        last_activity_at=now,
        expires_at=now + refresh_ttl,
        ip_address=client.ip_address,
        user_agent=(client.user_agent or "")[:512] or None,
    )
    await uow.sessions.add(session)
    token, token_hash = new_refresh_token()
    await uow.refresh_tokens.add(
        RefreshToken(uuid.uuid4(), session.id, token_hash, now, session.expires_at)
    )
    return session, token


class Login:
    """Raises `InvalidCredentials` — the same answer, after the same work, whether the account
    is unknown, the password wrong, or the user not active — and `RateLimited` once too many
    failures came for the account or from the address. Lockouts end with the window."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        hasher: PasswordHasher,
        issuer: AccessTokenIssuer,
        counter: WindowCounter,
        throttle: LoginThrottle,
        clock: Clock,
        refresh_ttl: timedelta,
    ) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher
        self._issuer = issuer
        self._counter = counter
        self._throttle = throttle
        self._clock = clock
        self._refresh_ttl = refresh_ttl

    async def __call__(self, login: str, password: str, client: ClientInfo) -> TokenPair:
        limits = self._limits(login, client)
        for key, limit in limits:
            decision = await self._counter.peek(key, limit, self._throttle.window_seconds)
            if not decision.allowed:
                raise RateLimited(decision.reset_after, "Too many failed sign-in attempts.")

        async with self._uow_factory() as uow:
            user = await uow.users.get_by_login(login)
            if user is None:
                await asyncio.to_thread(self._hasher.verify_dummy, password)
                matches, new_hash = False, None
            else:
                matches, new_hash = await asyncio.to_thread(
                    self._hasher.verify, password, user.password_hash
                )
            now = self._clock.now()
            if user is None or not matches or not user.is_active:
                await uow.audit.append(
                    audit_event(
                        "auth.login.failed",
                        now,
                        client,
                        actor_id=user.id if user else None,
                        target_type="user",
                        target_id=user.id if user else None,
                        outcome=Outcome.FAILURE,
                    )
                )
                await uow.commit()
                for key, limit in limits:
                    await self._counter.hit(key, limit, self._throttle.window_seconds)
                raise InvalidCredentials()

            if new_hash is not None:
                user.password_hash = new_hash
            user.last_login_at = now
            await uow.users.update(user)
            session, refresh_token = await start_session(uow, user, client, now, self._refresh_ttl)
            await uow.audit.append(
                audit_event(
                    "auth.login.succeeded",
                    now,
                    client,
                    actor_id=user.id,
                    target_type="session",
                    target_id=session.id,
                )
            )
            await uow.commit()
        access_token, expires_in = self._issuer.issue(user.id, session.id, now)
        return TokenPair(access_token, refresh_token, expires_in, user)

    def _limits(self, login: str, client: ClientInfo) -> list[tuple[str, int]]:
        limits = [(f"login:account:{login.strip().lower()}", self._throttle.per_account)]
        if client.ip_address:
            limits.append((f"login:address:{client.ip_address}", self._throttle.per_address))
        return limits
