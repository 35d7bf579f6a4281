"""Signed JWT access tokens, bound to a server-side session."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from uuid import UUID

import jwt

from parley.application.ports.security import AccessClaims
from parley.domain.errors import AuthenticationRequired

ACCESS_TOKEN_TYPE = "access"
ALLOWED_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})


class JwtAccessTokenIssuer:
    """HS256 by default. Verification pins the one configured algorithm (so `alg: none` and
    algorithm confusion fail), and requires `exp`, `iat`, `sub`, `sid`, `typ`, issuer and
    audience."""

    def __init__(
        self,
        secret: str,
        lifetime: timedelta,
        *,
        issuer: str = "parley",
        audience: str = "parley",
        algorithm: str = "HS256",
        leeway_seconds: float = 5.0,
    ) -> None:
        if algorithm not in ALLOWED_ALGORITHMS:
            raise ValueError(f"unsupported JWT algorithm {algorithm!r}")
        self._secret = secret
        self._lifetime = lifetime
        self._issuer = issuer
        self._audience = audience
        self._algorithm = algorithm
        self._leeway = leeway_seconds

    def issue(self, user_id: UUID, session_id: UUID, now: datetime) -> tuple[str, int]:
        expires_at = now + self._lifetime
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "typ": ACCESS_TOKEN_TYPE,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._secret, algorithm=self._algorithm)
        return token, int(self._lifetime.total_seconds())

    def verify(self, token: str, now: datetime) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "sid", "typ", "iss", "aud"]},
            )
            if claims["typ"] != ACCESS_TOKEN_TYPE:
                raise AuthenticationRequired()
            return AccessClaims(
                user_id=UUID(claims["sub"]),
                session_id=UUID(claims["sid"]),
                expires_at=datetime.fromtimestamp(claims["exp"], tz=now.tzinfo),
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
            raise AuthenticationRequired() from error
