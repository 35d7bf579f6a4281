"""Bodies of the auth, me and api-keys routes. Unknown fields are ignored, so a client that
sends `role` or `tier` changes nothing (no mass assignment)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from parley.domain.identity import ApiKey, AuthSession
from parley.domain.users import Role, Tier, User, UserStatus

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Input(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=4096)


class RegisterIn(Input):
    email: EmailStr = Field(max_length=320)
    username: Username
    password: Password


class LoginIn(Input):
    login: Annotated[str, Field(min_length=1, max_length=320)]
    password: Password


class RefreshIn(Input):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class PasswordChangeIn(Input):
    current_password: Password
    new_password: Password


class MeUpdateIn(Input):
    username: Username | None = None


class ApiKeyIn(Input):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    expires_at: Annotated[datetime | None, AfterValidator(_as_utc)] = None


class UserOut(BaseModel):
    id: UUID
    email: str
    username: str
    role: Role
    tier: Tier
    status: UserStatus
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            username=user.username,
            role=user.role,
            tier=user.tier,
            status=user.status,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserOut


class SessionOut(BaseModel):
    id: UUID
    created_at: datetime
    last_activity_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None
    current: bool

    @classmethod
    def of(cls, session: AuthSession, current: bool) -> SessionOut:
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_activity_at=session.last_activity_at,
            expires_at=session.expires_at,
            ip_address=session.ip_address,
            user_agent=session.user_agent,
            current=current,
        )


class SessionListOut(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None = None


class ApiKeyOut(BaseModel):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
        )


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The secret. Shown this once; store it now.")


class ApiKeyListOut(BaseModel):
    items: list[ApiKeyOut]
    next_cursor: str | None = None
