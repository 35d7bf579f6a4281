"""Sessions, API keys and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from parley.domain.users import Role, Tier, UserStatus
from parley.domain.values import cheap_init


@dataclass(slots=True)
class AuthSession:
    """A signed-in device: access tokens name it (`sid`), refresh tokens renew it."""

    id: UUID
    user_id: UUID
    created_at: datetime
    last_activity_at: datetime
    expires_at: datetime
    ip_address: str | None = None
    user_agent: str | None = None
    revoked_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(slots=True)
class RefreshToken:
    id: UUID
    session_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(slots=True)
class ApiKey:
    id: UUID
    user_id: UUID
    name: str
    prefix: str
    key_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class CredentialKind(StrEnum):
    SESSION = "session"
    API_KEY = "api_key"


@cheap_init
@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as, resolved from an access token or an API key."""

    user_id: UUID
    role: Role
    tier: Tier
    status: UserStatus
    kind: CredentialKind
    session_id: UUID | None = None
    api_key_id: UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
