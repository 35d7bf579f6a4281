"""Persistence ports for identity: users, sessions, refresh tokens, API keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from parley.application.pagination import Keyset
from parley.domain.identity import ApiKey, AuthSession, RefreshToken
from parley.domain.users import Role, Tier, User, UserStatus


@dataclass(frozen=True, slots=True)
class UserQuery:
    """Filters of the admin user list; `text` matches part of the email or the username,
    case-insensitively. Unset filters match everyone."""

    text: str | None = None
    role: Role | None = None
    tier: Tier | None = None
    status: UserStatus | None = None


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises `EmailTaken` or `UsernameTaken` (at flush) when either is already used."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_login(self, login: str) -> User | None:
        """By email (case-insensitive) or username (case-insensitive)."""
        ...

    async def update(self, user: User) -> None:
        """Persist changed fields. Raises `UsernameTaken` on a clash."""
        ...

    async def search(self, query: UserQuery, after: Keyset | None, limit: int) -> Sequence[User]:
        """At most `limit` users matching `query`, newest first by (created_at, id), starting
        after `after`."""
        ...

    async def get_for_update(self, user_id: UUID) -> User | None:
        """Like `get`, and holds the row against concurrent changes until the transaction ends
        (a no-op where the database serialises writers anyway)."""
        ...

    async def lock_active_admins(self) -> Sequence[UUID]:
        """The ids of every active admin, locked until the transaction ends, so that two
        transactions that each remove a different admin cannot both see the other still there.
        Lock before any other user row (one lock order avoids deadlocks)."""
        ...

    async def claim_first_admin(self) -> bool:
        """True exactly once per installation, even when callers race: the caller that gets
        True makes its new user the admin."""
        ...


class SessionRepository(Protocol):
    async def add(self, session: AuthSession) -> None: ...

    async def get(self, session_id: UUID) -> AuthSession | None: ...

    async def list_active(self, user_id: UUID, now: datetime) -> Sequence[AuthSession]: ...

    async def touch(self, session_id: UUID, at: datetime) -> None: ...

    async def revoke(self, session_ids: Sequence[UUID], at: datetime) -> None: ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def mark_used(self, token_id: UUID, at: datetime) -> bool:
        """Atomically mark an unused token used; False when it was already used (a race lost,
        which is treated as reuse)."""
        ...


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey) -> None: ...

    async def get(self, key_id: UUID) -> ApiKey | None: ...

    async def get_by_hash(self, key_hash: str) -> ApiKey | None: ...

    async def list_for_user(self, user_id: UUID) -> Sequence[ApiKey]: ...

    async def update(self, key: ApiKey) -> None: ...

    async def record_last_used(self, last_used: Mapping[UUID, datetime]) -> None:
        """Bulk-store last-use times gathered off the request path."""
        ...
