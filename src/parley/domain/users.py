"""Users and who they are allowed to be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class Tier(StrEnum):
    FREE = "free"
    PRO = "pro"
    ENTERPRISE = "enterprise"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


@dataclass(slots=True)
class User:
    id: UUID
    email: str
    username: str
    password_hash: str
    role: Role
    tier: Tier
    status: UserStatus
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; we store them lower-cased and trimmed."""
    return email.strip().lower()
