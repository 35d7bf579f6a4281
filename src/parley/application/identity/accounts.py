"""Creating accounts: public registration, and accounts made by an operator."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from parley.application.identity.audit_events import audit_event
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.context import ClientInfo
from parley.application.identity.password_policy import PasswordPolicy
from parley.application.ports.clock import Clock
from parley.application.ports.security import PasswordHasher
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import RegistrationClosed
from parley.domain.users import Role, Tier, User, UserStatus, normalize_email


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    username: str
    password: str


class AccountFactory:
    """Shared by `Register` and `CreateUser`: checks the password, hashes it off the event
    loop, and stores the user. The first account ever stored becomes the admin, exactly once."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        clock: Clock,
        state: AuthStateCache,
    ) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher
        self._policy = policy
        self._clock = clock
        self._state = state

    async def create(
        self,
        account: NewAccount,
        client: ClientInfo,
        *,
        actor_id: uuid.UUID | None,
        role: Role = Role.USER,
        tier: Tier = Tier.FREE,
        action: str,
    ) -> User:
        self._policy.check(account.password)
        password_hash = await asyncio.to_thread(self._hasher.hash, account.password)
        now = self._clock.now()
        user = User(
            id=uuid.uuid4(),
            email=normalize_email(account.email),
            username=account.username.strip(),
            password_hash=password_hash,
            role=role,
            tier=tier,
            status=UserStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        async with self._uow_factory() as uow:
            if await uow.users.claim_first_admin():
                user.role = Role.ADMIN
            await uow.users.add(user)
            await uow.audit.append(
                audit_event(
                    action,
                    now,
                    client,
                    actor_id=actor_id or user.id,
                    target_type="user",
                    target_id=user.id,
                    role=user.role.value,
                    tier=user.tier.value,
                )
            )
            await uow.commit()
        await self._state.store_user(user)
        return user


class Register:
    """Open registration. Raises `RegistrationClosed` when the operator closed it,
    `ValidationFailed` for a weak password, `EmailTaken` / `UsernameTaken` on a clash.
    Role and tier are never taken from the caller."""

    def __init__(self, accounts: AccountFactory, allow_registration: bool) -> None:
        self._accounts = accounts
        self._allow = allow_registration

    async def __call__(self, account: NewAccount, client: ClientInfo) -> User:
        if not self._allow:
            raise RegistrationClosed()
        return await self._accounts.create(
            account, client, actor_id=None, action="auth.user.registered"
        )
