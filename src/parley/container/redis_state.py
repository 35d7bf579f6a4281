"""Shared state in Redis, each adapter falling back to this replica's own state during an
outage. Imported only when PARLEY_REDIS_URL is set."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from parley.adapters.redis.breaker import RedisCircuitBreaker
from parley.adapters.redis.cache import RedisCache, RedisWindowCounter
from parley.adapters.redis.failover import (
    FailoverCache,
    FailoverCircuitBreaker,
    FailoverWindowCounter,
    Outage,
)
from parley.adapters.redis.quota import FailoverQuotaStore, RedisQuotaStore
from parley.application.ports.cache import Cache, WindowCounter
from parley.application.ports.circuit import CircuitBreaker, CircuitListener
from parley.application.ports.limits import QuotaStore
from parley.domain.circuit import BreakerSettings
from parley.settings import Settings


@dataclass(frozen=True, slots=True)
class SharedState:
    redis: Redis
    cache: Cache
    counter: WindowCounter
    quota: QuotaStore
    breaker: CircuitBreaker


def redis_client(url: str) -> Redis:
    # Short timeouts: a Redis that stops answering must not hold requests up; the
    # failover adapters switch to local state within one timeout.
    return Redis.from_url(
        url,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        # One immediate retry on a fresh connection: after a Redis restart the pooled
        # connections are dead, and that must not look like an outage.
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        # redis-py 8's pool refuses (MaxConnectionsError) past 100 connections in use, which
        # the failover would take for an outage: streams and bursts need more.
        max_connections=1000,
    )


def shared_state(
    settings: Settings,
    breakers: BreakerSettings,
    circuit_listener: CircuitListener,
    local_breaker: CircuitBreaker,
    local_quota: QuotaStore,
) -> SharedState:
    assert settings.redis_url
    redis = redis_client(settings.redis_url)
    outage = Outage()
    cache = RedisCache(redis, local_ttl_seconds=settings.shared_cache_local_seconds)
    share = settings.limits_local_share or 1 / max(settings.replicas, 1)
    return SharedState(
        redis=redis,
        cache=FailoverCache(cache, outage, settings.shared_cache_local_seconds),
        counter=FailoverWindowCounter(RedisWindowCounter(redis), outage),
        quota=FailoverQuotaStore(
            RedisQuotaStore(redis, settle_delay_seconds=settings.limits_settle_delay_seconds),
            local_quota,
            share,
            outage,
        ),
        breaker=FailoverCircuitBreaker(
            RedisCircuitBreaker(redis, breakers, circuit_listener), local_breaker, outage
        ),
    )
