"""Users in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from parley.adapters.sql.errors import conflict_from
from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.keyset import older_than
from parley.adapters.sql.tables import instance_flags, users
from parley.application.pagination import Keyset
from parley.application.ports.identity import UserQuery
from parley.domain.users import Role, Tier, User, UserStatus, normalize_email

FIRST_ADMIN_FLAG = "first_admin_claimed"


def user_from_row(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        username=row.username,
        password_hash=row.password_hash,
        role=Role(row.role),
        tier=Tier(row.tier),
        status=UserStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_login_at=row.last_login_at,
    )


def user_values(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "username": user.username,
        "password_hash": user.password_hash,
        "role": user.role.value,
        "tier": user.tier.value,
        "status": user.status.value,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "last_login_at": user.last_login_at,
    }


class SqlUserRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, user: User) -> None:
        try:
            async with self._sql.begin_nested():
                await self._sql.execute(insert(users).values(id=user.id, **user_values(user)))
        except IntegrityError as error:
            raise conflict_from(error) from error

    async def get(self, user_id: UUID) -> User | None:
        row = (await self._sql.execute(select(users).where(users.c.id == user_id))).first()
        return user_from_row(row) if row else None

    async def get_by_login(self, login: str) -> User | None:
        login = login.strip()
        query = select(users).where(
            or_(
                users.c.email == normalize_email(login),
                func.lower(users.c.username) == login.lower(),
            )
        )
        row = (await self._sql.execute(query)).first()
        return user_from_row(row) if row else None

    async def update(self, user: User) -> None:
        try:
            async with self._sql.begin_nested():
                await self._sql.execute(
                    update(users).where(users.c.id == user.id).values(**user_values(user))
                )
        except IntegrityError as error:
            raise conflict_from(error) from error

    async def search(self, query: UserQuery, after: Keyset | None, limit: int) -> Sequence[User]:
        statement = _filtered(select(users), query)
        if after is not None:
            statement = statement.where(older_than(users.c.created_at, users.c.id, after))
        statement = statement.order_by(users.c.created_at.desc(), users.c.id.desc()).limit(limit)
        return [user_from_row(row) for row in await self._sql.execute(statement)]

    async def get_for_update(self, user_id: UUID) -> User | None:
        statement = select(users).where(users.c.id == user_id).with_for_update()
        row = (await self._sql.execute(statement)).first()
        return user_from_row(row) if row else None

    async def lock_active_admins(self) -> Sequence[UUID]:
        # FOR UPDATE re-checks the WHERE clause after waiting on a locked row (PostgreSQL,
        # READ COMMITTED): an admin demoted by the transaction we waited for drops out.
        # Ordered by id so every caller takes the locks in the same order. SQLite ignores
        # FOR UPDATE; its BEGIN IMMEDIATE already serialises writers.
        statement = (
            select(users.c.id)
            .where(users.c.role == Role.ADMIN.value, users.c.status == UserStatus.ACTIVE.value)
            .order_by(users.c.id)
            .with_for_update()
        )
        return list((await self._sql.execute(statement)).scalars())

    async def claim_first_admin(self) -> bool:
        # A unique flag row: the inserting transaction wins; a racing one blocks on the key
        # (PostgreSQL) or the database lock (SQLite) and then finds it taken.
        try:
            async with self._sql.begin_nested():
                await self._sql.execute(insert(instance_flags).values(name=FIRST_ADMIN_FLAG))
        except IntegrityError:
            return False
        return True


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(statement: Select[Any], query: UserQuery) -> Select[Any]:
    if query.text:
        pattern = f"%{_escape_like(query.text.strip().lower())}%"
        statement = statement.where(
            or_(
                users.c.email.like(pattern, escape="\\"),
                func.lower(users.c.username).like(pattern, escape="\\"),
            )
        )
    if query.role is not None:
        statement = statement.where(users.c.role == query.role.value)
    if query.tier is not None:
        statement = statement.where(users.c.tier == query.tier.value)
    if query.status is not None:
        statement = statement.where(users.c.status == query.status.value)
    return statement
