"""Bodies of the `/v1/admin/users` routes. Only whitelisted fields exist; unknown ones are
ignored (no mass assignment: an admin PATCH cannot touch email or password hash)."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from parley.api.schemas.identity import Input, Password, Username, UserOut
from parley.domain.users import Role, Tier, UserStatus


class AdminUserCreateIn(Input):
    email: EmailStr = Field(max_length=320)
    username: Username
    password: Password
    role: Role = Role.USER
    tier: Tier = Tier.FREE


class AdminUserUpdateIn(Input):
    role: Role | None = None
    tier: Tier | None = None
    status: UserStatus | None = None


class UserListOut(BaseModel):
    items: list[UserOut]
    next_cursor: str | None = None
