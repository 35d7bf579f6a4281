"""Ports for password hashing and access tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """(matches, new_hash): `new_hash` is set when the stored hash should be upgraded
        (an imported bcrypt hash, or Argon2 parameters that changed)."""
        ...

    def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification, for logins of unknown accounts."""
        ...


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    session_id: UUID
    expires_at: datetime


class AccessTokenIssuer(Protocol):
    def issue(self, user_id: UUID, session_id: UUID, now: datetime) -> tuple[str, int]:
        """A signed access token and its lifetime in seconds."""
        ...

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """Raises `AuthenticationRequired` for any token that is not a valid, unexpired access
        token of this server (bad signature, algorithm, type, issuer or audience)."""
        ...
