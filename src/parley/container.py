"""The composition root: the one place that knows every concrete class.

`build_container(settings, **overrides)` wires adapters into use cases; the app's lifespan
(or a test) owns the result and closes it. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.clock import SystemClock
from parley.adapters.memory.cache import MemoryCache, MemoryWindowCounter
from parley.adapters.readiness import InfrastructureReadiness
from parley.adapters.redis.cache import RedisCache, RedisWindowCounter
from parley.adapters.security.instance_secret import load_or_create_secret
from parley.adapters.security.passwords import Argon2PasswordHasher, load_common_passwords
from parley.adapters.security.tokens import JwtAccessTokenIssuer
from parley.adapters.sql.engine import create_engine, create_session_factory
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.application.admin.user_changes import (
    DeleteUser,
    RevokeUserSessions,
    UpdateUser,
    UserChanger,
)
from parley.application.admin.users import CreateUser, GetUser, ListUsers
from parley.application.audit.queries import ExportAudit, ListAuditEvents
from parley.application.identity.accounts import AccountFactory, Register
from parley.application.identity.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.authenticate import Authenticate
from parley.application.identity.key_usage import ApiKeyUseRecorder, FlushApiKeyUse
from parley.application.identity.login import Login, LoginThrottle
from parley.application.identity.me import GetMe, UpdateMe
from parley.application.identity.password_change import ChangePassword
from parley.application.identity.password_policy import PasswordPolicy
from parley.application.identity.refresh import RefreshSession
from parley.application.identity.sessions import (
    ListSessions,
    Logout,
    LogoutAll,
    RevokeSession,
    SessionRevoker,
)
from parley.application.ports.cache import Cache, WindowCounter
from parley.application.ports.clock import Clock
from parley.application.ports.security import PasswordHasher
from parley.application.ports.unit_of_work import UnitOfWork
from parley.application.services import (
    AdminServices,
    AuditServices,
    IdentityServices,
    Services,
)
from parley.log import get_logger
from parley.settings import Settings

log = get_logger("parley.container")


@dataclass
class Container:
    settings: Settings
    services: Services
    engine: AsyncEngine
    redis: Redis | None
    flush_api_key_use: FlushApiKeyUse
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def start(self) -> None:
        """Start background work (call inside the running event loop)."""
        self._tasks.append(asyncio.create_task(self._flush_loop(), name="api-key-use-flush"))

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.api_key_use_flush_seconds)
            try:
                await self.flush_api_key_use()
            except Exception:
                log.exception("api_key_use_flush_failed")

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.flush_api_key_use()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def build_container(
    settings: Settings,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    cache: Cache | None = None,
    counter: WindowCounter | None = None,
) -> Container:
    """Wire everything from settings. Keyword overrides replace single adapters in tests."""
    clock = clock or SystemClock()
    hasher = hasher or Argon2PasswordHasher()
    secret = load_or_create_secret(
        settings.secret_key.get_secret_value() if settings.secret_key else None, settings.data_dir
    )
    engine = create_engine(settings.effective_database_url)
    session_factory = create_session_factory(engine)

    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(session_factory)

    redis: Redis | None = None
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        cache = cache or RedisCache(redis, local_ttl_seconds=settings.shared_cache_local_seconds)
        counter = counter or RedisWindowCounter(redis)
    cache = cache or MemoryCache()
    counter = counter or MemoryWindowCounter()

    issuer = JwtAccessTokenIssuer(
        secret,
        timedelta(seconds=settings.access_token_ttl_seconds),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        algorithm=settings.jwt_algorithm,
    )
    refresh_ttl = timedelta(seconds=settings.refresh_token_ttl_seconds)
    state = AuthStateCache(cache, uow_factory, settings.auth_cache_ttl_seconds)
    policy = PasswordPolicy(load_common_passwords())
    key_uses = ApiKeyUseRecorder()
    revoker = SessionRevoker(uow_factory, state, clock)
    accounts = AccountFactory(uow_factory, hasher, policy, clock, state)
    throttle = LoginThrottle(
        settings.login_failures_per_account,
        settings.login_failures_per_address,
        settings.login_window_seconds,
    )
    identity = IdentityServices(
        authenticate=Authenticate(issuer, state, key_uses, clock),
        accounts=accounts,
        register=Register(accounts, settings.allow_registration),
        login=Login(uow_factory, hasher, issuer, counter, throttle, clock, refresh_ttl),
        refresh=RefreshSession(uow_factory, issuer, state, clock),
        logout=Logout(revoker),
        logout_all=LogoutAll(revoker),
        list_sessions=ListSessions(uow_factory, clock),
        revoke_session=RevokeSession(revoker),
        change_password=ChangePassword(uow_factory, hasher, policy, revoker, state, clock),
        get_me=GetMe(uow_factory),
        update_me=UpdateMe(uow_factory, clock),
        create_api_key=CreateApiKey(uow_factory, clock),
        list_api_keys=ListApiKeys(uow_factory),
        revoke_api_key=RevokeApiKey(uow_factory, state, clock),
    )
    changer = UserChanger(uow_factory, state, revoker, clock)
    admin = AdminServices(
        list_users=ListUsers(uow_factory, clock),
        get_user=GetUser(uow_factory, clock),
        create_user=CreateUser(accounts),
        update_user=UpdateUser(changer),
        delete_user=DeleteUser(changer),
        revoke_user_sessions=RevokeUserSessions(uow_factory, revoker),
    )
    audit = AuditServices(
        list_events=ListAuditEvents(uow_factory),
        export=ExportAudit(uow_factory, clock),
    )
    services = Services(
        identity=identity,
        admin=admin,
        audit=audit,
        readiness=InfrastructureReadiness(engine, redis),
    )
    return Container(
        settings=settings,
        services=services,
        engine=engine,
        redis=redis,
        flush_api_key_use=FlushApiKeyUse(key_uses, uow_factory),
    )


@contextlib.asynccontextmanager
async def running(settings: Settings, **overrides: Any) -> AsyncIterator[Container]:
    container = build_container(settings, **overrides)
    container.start()
    try:
        yield container
    finally:
        await container.aclose()


def create_app() -> Any:
    """The ASGI app for `uvicorn --factory` and `parley serve`, configured from the environment."""
    from parley.api.app import create_app as create_http_app
    from parley.log import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[Services]:
        async with running(settings) as container:
            yield container.services

    return create_http_app(lifespan, settings)
