"""`UpdateUser` / `DeleteUser` with in-memory fakes of the ports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import pytest

from parley.adapters.memory.cache import MemoryCache
from parley.application.admin.user_changes import DeleteUser, UpdateUser, UserChange, UserChanger
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.context import ClientInfo
from parley.application.identity.sessions import SessionRevoker
from parley.domain.audit import AuditEvent, Outcome
from parley.domain.errors import LastActiveAdmin, NotFound
from parley.domain.identity import ApiKey, AuthSession, CredentialKind, Principal
from parley.domain.users import Role, Tier, User, UserStatus

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


class Store:
    def __init__(self) -> None:
        self.users: dict[uuid.UUID, User] = {}
        self.keys: dict[uuid.UUID, ApiKey] = {}
        self.sessions: dict[uuid.UUID, AuthSession] = {}
        self.audit: list[AuditEvent] = []
        self.calls: list[str] = []


class FakeUsers:
    def __init__(self, store: Store, staged: dict[uuid.UUID, User]) -> None:
        self._store, self._staged = store, staged

    async def get(self, user_id: uuid.UUID) -> User | None:
        user = self._store.users.get(user_id)
        return User(**{f: getattr(user, f) for f in User.__slots__}) if user else None

    async def get_for_update(self, user_id: uuid.UUID) -> User | None:
        self._store.calls.append("get_for_update")
        return await self.get(user_id)

    async def lock_active_admins(self) -> list[uuid.UUID]:
        self._store.calls.append("lock_active_admins")
        return [u.id for u in self._store.users.values() if u.is_admin and u.is_active]

    async def update(self, user: User) -> None:
        self._staged[user.id] = user


class FakeKeys:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def list_for_user(self, user_id: uuid.UUID) -> list[ApiKey]:
        return [k for k in self._store.keys.values() if k.user_id == user_id and not k.revoked_at]

    async def update(self, key: ApiKey) -> None:
        self._store.keys[key.id] = key


class FakeSessions:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def list_active(self, user_id: uuid.UUID, now: datetime) -> list[AuthSession]:
        return [
            s for s in self._store.sessions.values() if s.user_id == user_id and s.is_active(now)
        ]

    async def revoke(self, ids: list[uuid.UUID], at: datetime) -> None:
        for session_id in ids:
            self._store.sessions[session_id].revoked_at = at


class FakeAudit:
    def __init__(self, staged: list[AuditEvent]) -> None:
        self._staged = staged

    async def append(self, event: AuditEvent) -> None:
        self._staged.append(event)


class FakeUnitOfWork:
    """Stages user and audit writes; only `commit` makes them visible."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._users: dict[uuid.UUID, User] = {}
        self._events: list[AuditEvent] = []
        self.users = FakeUsers(store, self._users)
        self.api_keys = FakeKeys(store)
        self.sessions = FakeSessions(store)
        self.audit = FakeAudit(self._events)

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._users.clear()
        self._events.clear()

    async def commit(self) -> None:
        self._store.users.update(self._users)
        self._store.audit.extend(self._events)


def _user(name: str, role: Role = Role.USER, status: UserStatus = UserStatus.ACTIVE) -> User:
    return User(
        uuid.uuid4(), f"{name}@example.com", name, "hash", role, Tier.FREE, status, NOW, NOW
    )


def _principal(user: User) -> Principal:
    return Principal(user.id, user.role, user.tier, user.status, CredentialKind.SESSION)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def cache() -> MemoryCache:
    return MemoryCache()


@pytest.fixture
def changer(store: Store, cache: MemoryCache) -> UserChanger:
    def uow_factory() -> Any:
        return FakeUnitOfWork(store)

    state = AuthStateCache(cache, uow_factory, 60)
    clock = FixedClock()
    return UserChanger(uow_factory, state, SessionRevoker(uow_factory, state, clock), clock)


async def test_last_active_admin_is_protected_and_the_refusal_recorded(
    store: Store, changer: UserChanger
) -> None:
    root = _user("root", Role.ADMIN)
    store.users[root.id] = root
    for change in (UserChange(role=Role.USER), UserChange(status=UserStatus.SUSPENDED)):
        with pytest.raises(LastActiveAdmin):
            await UpdateUser(changer)(_principal(root), root.id, change, ClientInfo("192.0.2.1"))
    with pytest.raises(LastActiveAdmin):
        await DeleteUser(changer)(_principal(root), root.id, ClientInfo())
    assert store.users[root.id].role is Role.ADMIN
    assert store.users[root.id].status is UserStatus.ACTIVE
    assert [e.outcome for e in store.audit] == [Outcome.FAILURE] * 3
    assert store.audit[0].details["requested"] == {"role": "user"}
    assert store.audit[0].actor_ip == "192.0.2.1"
    # Admins are locked before the target row, every time.
    assert store.calls[:2] == ["lock_active_admins", "get_for_update"]


async def test_suspended_admins_do_not_count(store: Store, changer: UserChanger) -> None:
    root, other = _user("root", Role.ADMIN), _user("other", Role.ADMIN, UserStatus.SUSPENDED)
    store.users.update({root.id: root, other.id: other})
    with pytest.raises(LastActiveAdmin):
        await UpdateUser(changer)(
            _principal(root), root.id, UserChange(role=Role.USER), ClientInfo()
        )


async def test_a_tier_change_does_not_lock_admins(store: Store, changer: UserChanger) -> None:
    root = _user("root", Role.ADMIN)
    store.users[root.id] = root
    user = await UpdateUser(changer)(
        _principal(root), root.id, UserChange(tier=Tier.PRO), ClientInfo()
    )
    assert user.tier is Tier.PRO
    assert "lock_active_admins" not in store.calls
    [event] = store.audit
    assert event.details["before"]["tier"] == "free" and event.details["after"]["tier"] == "pro"


async def test_delete_revokes_keys_and_sessions_and_updates_the_cache(
    store: Store, changer: UserChanger, cache: MemoryCache
) -> None:
    root, bob = _user("root", Role.ADMIN), _user("bob")
    store.users.update({root.id: root, bob.id: bob})
    key = ApiKey(uuid.uuid4(), bob.id, "k", "pk-x", "hash-1", NOW)
    store.keys[key.id] = key
    session = AuthSession(uuid.uuid4(), bob.id, NOW, NOW, NOW + timedelta(days=1))
    store.sessions[session.id] = session

    await DeleteUser(changer)(_principal(root), bob.id, ClientInfo())

    assert store.users[bob.id].status is UserStatus.DELETED
    assert store.keys[key.id].revoked_at == NOW
    assert store.sessions[session.id].revoked_at == NOW
    assert (await cache.get(f"auth:user:{bob.id}"))["status"] == "deleted"
    assert (await cache.get("auth:apikey:hash-1"))["active"] is False
    assert (await cache.get(f"auth:session:{session.id}"))["active"] is False
    actions = [e.action for e in store.audit]
    assert actions == ["admin.user.deleted", "admin.user.sessions_revoked"]
    assert "hash" not in str(store.audit[0].details)


async def test_unknown_user_is_not_found(store: Store, changer: UserChanger) -> None:
    root = _user("root", Role.ADMIN)
    store.users[root.id] = root
    with pytest.raises(NotFound):
        await UpdateUser(changer)(
            _principal(root), uuid.uuid4(), UserChange(tier=Tier.PRO), ClientInfo()
        )
