"""Admin reads of users, and accounts made by an admin."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from parley.application.identity.accounts import AccountFactory, NewAccount
from parley.application.identity.audit_events import audit_event
from parley.application.identity.context import ClientInfo
from parley.application.pagination import Keyset, Page, decode_cursor, page_of
from parley.application.ports.clock import Clock
from parley.application.ports.identity import UserQuery
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import NotFound
from parley.domain.identity import Principal
from parley.domain.users import Role, Tier, User

MAX_LIMIT = 200


class ListUsers:
    """Users matching the filters, newest first, one page at a time. Each call is recorded as
    `admin.users.listed`. Raises `ValidationFailed` for a cursor this server did not make."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(
        self,
        actor: Principal,
        query: UserQuery,
        cursor: str | None,
        limit: int,
        client: ClientInfo,
    ) -> Page[User]:
        after = decode_cursor(cursor)
        limit = max(1, min(limit, MAX_LIMIT))
        filters = {name: value for name, value in asdict(query).items() if value is not None}
        async with self._uow_factory() as uow:
            found = await uow.users.search(query, after, limit + 1)
            await uow.audit.append(
                audit_event(
                    "admin.users.listed",
                    self._clock.now(),
                    client,
                    actor_id=actor.user_id,
                    target_type="user",
                    filters={name: str(value) for name, value in filters.items()},
                    returned=min(len(found), limit),
                )
            )
            await uow.commit()
        return page_of(found, limit, lambda user: Keyset(user.created_at, user.id))


class GetUser:
    """One user, by id, recorded as `admin.user.viewed`. Raises `NotFound`."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(self, actor: Principal, user_id: UUID, client: ClientInfo) -> User:
        async with self._uow_factory() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("No such user.")
            await uow.audit.append(
                audit_event(
                    "admin.user.viewed",
                    self._clock.now(),
                    client,
                    actor_id=actor.user_id,
                    target_type="user",
                    target_id=user.id,
                )
            )
            await uow.commit()
        return user


class CreateUser:
    """An account made by an admin, with the role and tier the admin chose; works when open
    registration is closed. Recorded as `admin.user.created`. Raises `ValidationFailed` for a
    weak password, `EmailTaken` / `UsernameTaken` on a clash."""

    def __init__(self, accounts: AccountFactory) -> None:
        self._accounts = accounts

    async def __call__(
        self,
        actor: Principal,
        account: NewAccount,
        client: ClientInfo,
        *,
        role: Role = Role.USER,
        tier: Tier = Tier.FREE,
    ) -> User:
        return await self._accounts.create(
            account,
            client,
            actor_id=actor.user_id,
            role=role,
            tier=tier,
            action="admin.user.created",
        )
