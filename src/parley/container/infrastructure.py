"""The shared infrastructure every area is wired onto: the database, Redis and the adapters
that fail over from it (cache, counters, quotas, circuit breakers), the clock, the instance
secret and the metrics registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from parley.adapters.memory.cache import MemoryCache, MemoryWindowCounter
from parley.adapters.memory.quota import MemoryQuotaStore
from parley.adapters.observability.prometheus import PrometheusMetrics
from parley.adapters.resilience.breakers import MemoryCircuitBreaker
from parley.adapters.sql.engine import create_engine, create_session_factory
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.application.ports.cache import Cache, WindowCounter
from parley.application.ports.circuit import CircuitBreaker, CircuitListener
from parley.application.ports.clock import Clock
from parley.application.ports.limits import QuotaStore
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.domain.circuit import BreakerSettings
from parley.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    uow_factory: UnitOfWorkFactory


@dataclass(frozen=True)
class Infrastructure:
    """What the per-area wiring functions share. `redis` is None without PARLEY_REDIS_URL;
    `cache`, `counter`, `quota` and `breaker` are then process-local."""

    settings: Settings
    clock: Clock
    secret: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    uow_factory: UnitOfWorkFactory
    metrics: PrometheusMetrics
    redis: Redis | None
    cache: Cache
    counter: WindowCounter
    quota: QuotaStore
    breaker: CircuitBreaker


def open_database(settings: Settings) -> Database:
    engine = create_engine(settings.effective_database_url)
    session_factory = create_session_factory(engine)

    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    return Database(engine, session_factory, uow_factory)


def build_infrastructure(
    settings: Settings,
    clock: Clock,
    secret: str,
    database: Database,
    metrics: PrometheusMetrics,
    circuit_listener: CircuitListener,
    *,
    cache: Cache | None,
    counter: WindowCounter | None,
) -> Infrastructure:
    """Shared state in Redis when PARLEY_REDIS_URL is set (each adapter falling back to local
    state during an outage), else in memory. A `cache` or `counter` given replaces that one."""
    breakers = breaker_settings(settings)
    local_breaker = MemoryCircuitBreaker(breakers, circuit_listener)
    redis: Redis | None = None
    quota: QuotaStore = MemoryQuotaStore()
    breaker: CircuitBreaker = local_breaker
    if settings.redis_url:
        # Imported only when configured: the embedded default never loads redis-py.
        from parley.container.redis_state import shared_state

        shared = shared_state(settings, breakers, circuit_listener, local_breaker, quota)
        redis, quota, breaker = shared.redis, shared.quota, shared.breaker
        cache = cache or shared.cache
        counter = counter or shared.counter
    return Infrastructure(
        settings=settings,
        clock=clock,
        secret=secret,
        engine=database.engine,
        session_factory=database.session_factory,
        uow_factory=database.uow_factory,
        metrics=metrics,
        redis=redis,
        cache=cache or MemoryCache(),
        counter=counter or MemoryWindowCounter(),
        quota=quota,
        breaker=breaker,
    )


def breaker_settings(settings: Settings) -> BreakerSettings:
    return BreakerSettings(
        consecutive_failures=settings.breaker_consecutive_failures,
        failure_ratio=settings.breaker_failure_ratio,
        min_requests=settings.breaker_min_requests,
        window_seconds=settings.breaker_window_seconds,
        cooldown_seconds=settings.breaker_cooldown_seconds,
    )
