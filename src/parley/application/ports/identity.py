"""Persistence ports for identity: users, sessions, refresh tokens, API keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from parley.domain.identity import ApiKey, AuthSession, RefreshToken
from parley.domain.users import User


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
