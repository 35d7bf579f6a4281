"""The caller's own account."""

from __future__ import annotations

from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import AuthenticationRequired
from parley.domain.identity import Principal
from parley.domain.users import User


class GetMe:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal) -> User:
        async with self._uow_factory() as uow:
            user = await uow.users.get(principal.user_id)
        if user is None:
            raise AuthenticationRequired()
        return user


class UpdateMe:
    """Changes the caller's username — the only field a user may change about themselves.
    Raises `UsernameTaken` on a clash."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(self, principal: Principal, username: str | None) -> User:
        async with self._uow_factory() as uow:
            user = await uow.users.get(principal.user_id)
            if user is None:
                raise AuthenticationRequired()
            if username is not None and username.strip() != user.username:
                user.username = username.strip()
                user.updated_at = self._clock.now()
                await uow.users.update(user)
                await uow.commit()
        return user
