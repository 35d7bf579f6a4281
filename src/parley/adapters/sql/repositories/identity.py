"""Sessions, refresh tokens and API keys in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, bindparam, insert, select, update

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.tables import api_keys, auth_sessions, refresh_tokens
from parley.domain.identity import ApiKey, AuthSession, RefreshToken


def _session_from_row(row: Row[Any]) -> AuthSession:
    return AuthSession(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        last_activity_at=row.last_activity_at,
        expires_at=row.expires_at,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        revoked_at=row.revoked_at,
    )


class SqlSessionRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, session: AuthSession) -> None:
        await self._sql.execute(
            insert(auth_sessions).values(
                id=session.id,
                user_id=session.user_id,
                created_at=session.created_at,
                last_activity_at=session.last_activity_at,
                expires_at=session.expires_at,
                ip_address=session.ip_address,
                user_agent=session.user_agent,
            )
        )

    async def get(self, session_id: UUID) -> AuthSession | None:
        query = select(auth_sessions).where(auth_sessions.c.id == session_id)
        row = (await self._sql.execute(query)).first()
        return _session_from_row(row) if row else None

    async def list_active(self, user_id: UUID, now: datetime) -> Sequence[AuthSession]:
        query = (
            select(auth_sessions)
            .where(
                auth_sessions.c.user_id == user_id,
                auth_sessions.c.revoked_at.is_(None),
                auth_sessions.c.expires_at > now,
            )
            .order_by(auth_sessions.c.created_at.desc())
        )
        return [_session_from_row(row) for row in await self._sql.execute(query)]

    async def touch(self, session_id: UUID, at: datetime) -> None:
        await self._sql.execute(
            update(auth_sessions)
            .where(auth_sessions.c.id == session_id)
            .values(last_activity_at=at)
        )

    async def revoke(self, session_ids: Sequence[UUID], at: datetime) -> None:
        if not session_ids:
            return
        await self._sql.execute(
            update(auth_sessions)
            .where(auth_sessions.c.id.in_(session_ids), auth_sessions.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )


class SqlRefreshTokenRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, token: RefreshToken) -> None:
        await self._sql.execute(
            insert(refresh_tokens).values(
                id=token.id,
                session_id=token.session_id,
                token_hash=token.token_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        row = (await self._sql.execute(query)).first()
        if row is None:
            return None
        return RefreshToken(
            row.id, row.session_id, row.token_hash, row.created_at, row.expires_at, row.used_at
        )

    async def mark_used(self, token_id: UUID, at: datetime) -> bool:
        result = await self._sql.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None))
            .values(used_at=at)
        )
        return bool(result.rowcount == 1)


def _key_from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        key_hash=row.key_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class SqlApiKeyRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, key: ApiKey) -> None:
        await self._sql.execute(
            insert(api_keys).values(
                id=key.id,
                user_id=key.user_id,
                name=key.name,
                prefix=key.prefix,
                key_hash=key.key_hash,
                created_at=key.created_at,
                expires_at=key.expires_at,
            )
        )

    async def get(self, key_id: UUID) -> ApiKey | None:
        row = (await self._sql.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        return _key_from_row(row) if row else None

    async def get_by_hash(self, key_hash: str) -> ApiKey | None:
        query = select(api_keys).where(api_keys.c.key_hash == key_hash)
        row = (await self._sql.execute(query)).first()
        return _key_from_row(row) if row else None

    async def list_for_user(self, user_id: UUID) -> Sequence[ApiKey]:
        query = (
            select(api_keys)
            .where(api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None))
            .order_by(api_keys.c.created_at.desc())
        )
        return [_key_from_row(row) for row in await self._sql.execute(query)]

    async def update(self, key: ApiKey) -> None:
        await self._sql.execute(
            update(api_keys)
            .where(api_keys.c.id == key.id)
            .values(name=key.name, expires_at=key.expires_at, revoked_at=key.revoked_at)
        )

    async def record_last_used(self, last_used: Mapping[UUID, datetime]) -> None:
        statement = (
            update(api_keys)
            .where(api_keys.c.id == bindparam("key_id"))
            .values(last_used_at=bindparam("used_at"))
        )
        await self._sql.execute(
            statement, [{"key_id": key_id, "used_at": at} for key_id, at in last_used.items()]
        )
