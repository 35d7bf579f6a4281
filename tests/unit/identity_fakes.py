"""In-memory fakes of the identity ports, for fast use-case tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self
from uuid import UUID

from parley.adapters.memory.cache import MemoryCache, MemoryWindowCounter
from parley.application.identity.accounts import AccountFactory, Register
from parley.application.identity.api_keys import CreateApiKey, RevokeApiKey
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.authenticate import Authenticate
from parley.application.identity.key_usage import ApiKeyUseRecorder
from parley.application.identity.login import Login, LoginThrottle
from parley.application.identity.password_policy import PasswordPolicy
from parley.application.identity.refresh import RefreshSession
from parley.application.identity.sessions import SessionRevoker
from parley.application.ports.security import AccessClaims
from parley.domain.audit import AuditEvent
from parley.domain.errors import AuthenticationRequired, EmailTaken, UsernameTaken
from parley.domain.identity import ApiKey, AuthSession, RefreshToken
from parley.domain.users import User


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakeHasher:
    def hash(self, password: str) -> str:
        return "fake$" + password

    def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        if password_hash.startswith("legacy$"):
            ok = password_hash == "legacy$" + password
            return ok, ("fake$" + password if ok else None)
        return password_hash == "fake$" + password, None

    def verify_dummy(self, password: str) -> None:
        self.dummy_calls = getattr(self, "dummy_calls", 0) + 1


class FakeIssuer:
    """Tokens are "access:<user>:<session>"."""

    def issue(self, user_id: UUID, session_id: UUID, now: datetime) -> tuple[str, int]:
        return f"access:{user_id}:{session_id}", 900

    def verify(self, token: str, now: datetime) -> AccessClaims:
        parts = token.split(":")
        if len(parts) != 3 or parts[0] != "access":
            raise AuthenticationRequired()
        return AccessClaims(UUID(parts[1]), UUID(parts[2]), now + timedelta(seconds=900))


class Store:
    """The fake database: shared by every unit of work of one test."""

    def __init__(self) -> None:
        self.users: dict[UUID, User] = {}
        self.sessions: dict[UUID, AuthSession] = {}
        self.refresh_tokens: dict[UUID, RefreshToken] = {}
        self.api_keys: dict[UUID, ApiKey] = {}
        self.audit: list[AuditEvent] = []
        self.first_admin_claimed = False
        self.commits = 0


class FakeUsers:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, user: User) -> None:
        for other in self.store.users.values():
            if other.email == user.email:
                raise EmailTaken()
            if other.username.lower() == user.username.lower():
                raise UsernameTaken()
        self.store.users[user.id] = replace(user)

    async def get(self, user_id: UUID) -> User | None:
        user = self.store.users.get(user_id)
        return replace(user) if user else None

    async def get_by_login(self, login: str) -> User | None:
        login = login.strip().lower()
        for user in self.store.users.values():
            if user.email == login or user.username.lower() == login:
                return replace(user)
        return None

    async def update(self, user: User) -> None:
        self.store.users[user.id] = replace(user)

    async def claim_first_admin(self) -> bool:
        if self.store.first_admin_claimed:
            return False
        self.store.first_admin_claimed = True
        return True


class FakeSessions:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, session: AuthSession) -> None:
        self.store.sessions[session.id] = replace(session)

    async def get(self, session_id: UUID) -> AuthSession | None:
        session = self.store.sessions.get(session_id)
        return replace(session) if session else None

    async def list_active(self, user_id: UUID, now: datetime) -> Sequence[AuthSession]:
        return [
            replace(s)
            for s in self.store.sessions.values()
            if s.user_id == user_id and s.is_active(now)
        ]

    async def touch(self, session_id: UUID, at: datetime) -> None:
        self.store.sessions[session_id].last_activity_at = at

    async def revoke(self, session_ids: Sequence[UUID], at: datetime) -> None:
        for session_id in session_ids:
            self.store.sessions[session_id].revoked_at = at


class FakeRefreshTokens:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, token: RefreshToken) -> None:
        self.store.refresh_tokens[token.id] = replace(token)

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        for token in self.store.refresh_tokens.values():
            if token.token_hash == token_hash:
                return replace(token)
        return None

    async def mark_used(self, token_id: UUID, at: datetime) -> bool:
        token = self.store.refresh_tokens[token_id]
        if token.used_at is not None:
            return False
        token.used_at = at
        return True


class FakeApiKeys:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, key: ApiKey) -> None:
        self.store.api_keys[key.id] = replace(key)

    async def get(self, key_id: UUID) -> ApiKey | None:
        key = self.store.api_keys.get(key_id)
        return replace(key) if key else None

    async def get_by_hash(self, key_hash: str) -> ApiKey | None:
        for key in self.store.api_keys.values():
            if key.key_hash == key_hash:
                return replace(key)
        return None

    async def list_for_user(self, user_id: UUID) -> Sequence[ApiKey]:
        return [replace(k) for k in self.store.api_keys.values() if k.user_id == user_id]

    async def update(self, key: ApiKey) -> None:
        self.store.api_keys[key.id] = replace(key)

    async def record_last_used(self, last_used: Mapping[UUID, datetime]) -> None:
        for key_id, at in last_used.items():
            self.store.api_keys[key_id].last_used_at = at


class FakeAudit:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def append(self, event: AuditEvent) -> None:
        self.store.audit.append(event)


class FakeUnitOfWork:
    """Writes apply at once (the fakes test use-case logic, not transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.users = FakeUsers(store)
        self.sessions = FakeSessions(store)
        self.refresh_tokens = FakeRefreshTokens(store)
        self.api_keys = FakeApiKeys(store)
        self.audit = FakeAudit(store)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.store.commits += 1


class IdentityKit:
    """Every identity use case wired to fakes, sharing one store, cache and clock."""

    def __init__(self, *, allow_registration: bool = True, per_account: int = 3) -> None:
        self.store = Store()
        self.clock = FakeClock()
        self.hasher = FakeHasher()
        self.issuer = FakeIssuer()
        self.cache = MemoryCache()
        self.counter = MemoryWindowCounter()
        self.key_uses = ApiKeyUseRecorder()

        def uow() -> FakeUnitOfWork:
            return FakeUnitOfWork(self.store)

        self.state = AuthStateCache(self.cache, uow, 300)
        policy = PasswordPolicy(frozenset({"password123"}))
        self.accounts = AccountFactory(uow, self.hasher, policy, self.clock, self.state)
        self.register = Register(self.accounts, allow_registration)
        self.login = Login(
            uow,
            self.hasher,
            self.issuer,
            self.counter,
            LoginThrottle(per_account, 100, 300),
            self.clock,
            timedelta(days=30),
        )
        self.refresh = RefreshSession(uow, self.issuer, self.state, self.clock)
        self.revoker = SessionRevoker(uow, self.state, self.clock)
        self.authenticate = Authenticate(self.issuer, self.state, self.key_uses, self.clock)
        self.create_api_key = CreateApiKey(uow, self.clock)
        self.revoke_api_key = RevokeApiKey(uow, self.state, self.clock)
