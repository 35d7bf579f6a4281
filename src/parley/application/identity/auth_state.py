"""The cached state behind every authenticated request.

Each request's credential is resolved against this cache, not the database: one entry per
session, API key and user, loaded from the database on a miss. Population uses "add if
absent" while revocations and user changes write their new state over whatever is cached, so
a lookup that read the database just before a revocation cannot put the old state back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from parley.application.ports.cache import Cache
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.application.singleflight import SingleFlight
from parley.domain.identity import ApiKey, AuthSession
from parley.domain.users import Role, Tier, User, UserStatus


@dataclass(frozen=True, slots=True)
class SessionState:
    user_id: UUID
    active: bool
    expires_at: float


@dataclass(frozen=True, slots=True)
class UserState:
    role: Role
    tier: Tier
    status: UserStatus


@dataclass(frozen=True, slots=True)
class ApiKeyState:
    id: UUID
    user_id: UUID
    active: bool
    expires_at: float | None


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def session_state(session: AuthSession) -> dict[str, Any]:
    return {
        "user_id": str(session.user_id),
        "active": session.revoked_at is None,
        "expires_at": session.expires_at.timestamp(),
    }


def user_state(user: User) -> dict[str, Any]:
    return {"role": user.role.value, "tier": user.tier.value, "status": user.status.value}


def api_key_state(key: ApiKey) -> dict[str, Any]:
    return {
        "id": str(key.id),
        "user_id": str(key.user_id),
        "active": key.revoked_at is None,
        "expires_at": _ts(key.expires_at),
    }


_MISSING: dict[str, Any] = {"missing": True}
#: Decoded states kept (`AuthStateCache._decode`); past this many they are all dropped.
DECODED_MAX_ENTRIES = 10_000
T = TypeVar("T")


def _session_from(raw: dict[str, Any]) -> SessionState:
    return SessionState(UUID(raw["user_id"]), bool(raw["active"]), float(raw["expires_at"]))


def _user_from(raw: dict[str, Any]) -> UserState:
    return UserState(Role(raw["role"]), Tier(raw["tier"]), UserStatus(raw["status"]))


def _api_key_from(raw: dict[str, Any]) -> ApiKeyState:
    return ApiKeyState(
        UUID(raw["id"]), UUID(raw["user_id"]), bool(raw["active"]), raw["expires_at"]
    )


class AuthStateCache:
    def __init__(self, cache: Cache, uow_factory: UnitOfWorkFactory, ttl_seconds: float) -> None:
        self._cache = cache
        self._uow_factory = uow_factory
        self._ttl = ttl_seconds
        self._loads: SingleFlight[str, dict[str, Any]] = SingleFlight()
        self._decoded: dict[str, tuple[dict[str, Any], Any]] = {}

    # --- reads -----------------------------------------------------------------------------

    async def session(self, session_id: UUID) -> SessionState | None:
        async def load(uow: UnitOfWork) -> dict[str, Any] | None:
            found = await uow.sessions.get(session_id)
            return session_state(found) if found else None

        key = f"auth:session:{session_id}"
        raw = await self._read(key, load)
        return None if raw is None else self._decode(key, raw, _session_from)

    async def user(self, user_id: UUID) -> UserState | None:
        async def load(uow: UnitOfWork) -> dict[str, Any] | None:
            found = await uow.users.get(user_id)
            return user_state(found) if found else None

        key = f"auth:user:{user_id}"
        raw = await self._read(key, load)
        return None if raw is None else self._decode(key, raw, _user_from)

    async def api_key(self, key_hash: str) -> ApiKeyState | None:
        async def load(uow: UnitOfWork) -> dict[str, Any] | None:
            found = await uow.api_keys.get_by_hash(key_hash)
            return api_key_state(found) if found else None

        key = f"auth:apikey:{key_hash}"
        raw = await self._read(key, load)
        return None if raw is None else self._decode(key, raw, _api_key_from)

    async def _read(
        self, key: str, load: Callable[[UnitOfWork], Awaitable[dict[str, Any] | None]]
    ) -> dict[str, Any] | None:
        """The cached state under `key`, loaded from the database on a miss. Absence is
        cached too, so unknown credentials cost no database round-trip either."""
        raw = await self._cache.get(key)
        if raw is None:

            async def fill() -> dict[str, Any]:
                async with self._uow_factory() as uow:
                    found = await load(uow) or _MISSING
                await self._cache.add(key, found, self._ttl)
                return found

            raw = await self._loads.do(key, fill)  # concurrent misses share one load
        return None if raw.get("missing") else raw

    def _decode(self, key: str, raw: dict[str, Any], decode: Callable[[dict[str, Any]], T]) -> T:
        """`decode(raw)`, kept for as long as the cache hands back this same entry. An
        in-process cache returns the object it stores, so a credential's state is decoded
        once per change, not on every request; any write stores a new entry, which is
        decoded afresh (a shared cache's copies always are). The kept entry is referenced
        here, so its identity cannot be reused by another object."""
        known = self._decoded.get(key)
        if known is not None and known[0] is raw:
            return cast(T, known[1])
        value = decode(raw)
        if len(self._decoded) >= DECODED_MAX_ENTRIES:
            self._decoded.clear()
        self._decoded[key] = (raw, value)
        return value

    # --- writes (call after the change is committed) ---------------------------------------

    async def store_session(self, session: AuthSession) -> None:
        await self._cache.set(f"auth:session:{session.id}", session_state(session), self._ttl)

    async def store_user(self, user: User) -> None:
        await self._cache.set(f"auth:user:{user.id}", user_state(user), self._ttl)

    async def store_api_key(self, key: ApiKey) -> None:
        await self._cache.set(f"auth:apikey:{key.key_hash}", api_key_state(key), self._ttl)


def now_ts(now: datetime) -> float:
    return now.astimezone(UTC).timestamp()
