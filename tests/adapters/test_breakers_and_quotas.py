"""Circuit breakers and quota stores on real Redis (and in memory), the same behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from parley.adapters.memory.quota import MemoryQuotaStore
from parley.adapters.redis.breaker import RedisCircuitBreaker
from parley.adapters.redis.quota import RedisQuotaStore
from parley.adapters.resilience.breakers import MemoryCircuitBreaker
from parley.adapters.sql.engine import create_engine, create_session_factory
from parley.adapters.sql.repositories.usage import SqlUsageStore
from parley.application.ports.limits import Claim, QuotaStore, Reservation, Settlement
from parley.application.usage.reports import PruneUsage
from parley.domain.circuit import BreakerSettings, Circuit
from parley.domain.usage import UsageRecord, UsageStatus

SETTINGS = BreakerSettings(consecutive_failures=3, cooldown_seconds=0.2, probe_timeout_seconds=5)


class Transitions:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Circuit, Circuit]] = []

    async def circuit_changed(self, name: str, old: Circuit, new: Circuit) -> None:
        self.seen.append((name, old, new))


async def test_two_replicas_share_one_redis_breaker_and_report_each_transition_once(
    redis_url: str,
) -> None:
    clients = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    heard = [Transitions(), Transitions()]
    replicas = [
        RedisCircuitBreaker(client, SETTINGS, listener, local_seconds=0)
        for client, listener in zip(clients, heard, strict=True)
    ]
    try:
        await replicas[0].record_failure("m")
        await replicas[1].record_failure("m")
        assert (await replicas[0].allow("m"))[0]
        await replicas[1].record_failure("m")  # the third in a row opens it, for both
        for replica in replicas:
            allowed, retry_after = await replica.allow("m")
            assert not allowed and 0 < retry_after <= 0.2
        await asyncio.sleep(0.25)
        probes = [await replica.allow("m") for replica in replicas]
        assert [allowed for allowed, _ in probes] == [True, False]  # one probe at a time
        await replicas[0].record_success("m")
        assert await replicas[1].state("m") is Circuit.CLOSED
        transitions = [t for listener in heard for t in listener.seen]
        assert sorted((old.value, new.value) for _, old, new in transitions) == sorted(
            [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
        )
    finally:
        for client in clients:
            await client.aclose()


async def test_memory_breaker_opens_on_a_failure_ratio() -> None:
    settings = BreakerSettings(consecutive_failures=100, failure_ratio=0.5, min_requests=10)
    breaker = MemoryCircuitBreaker(settings)
    for i in range(10):
        await (breaker.record_failure("m") if i % 2 else breaker.record_success("m"))
    assert await breaker.state("m") is Circuit.OPEN


async def check_quota_store(store: QuotaStore) -> None:
    tokens = [Claim("t", 60, 100, 60)]
    assert (await store.reserve(tokens)) == Reservation(None, (60,))
    assert (await store.reserve(tokens)) == Reservation(0, (60,))  # would be 120 > 100
    await store.settle(Settlement(adjustments=(("t", -50, 60),)))  # only 10 were used
    assert (await store.reserve(tokens)).used == (70,)

    def slot(name: str, limit: int = 2, lease: float = 60) -> Claim:
        return Claim("s", 1, limit, lease, slot_id=name)

    assert (await store.reserve([slot("a")])).refused is None
    assert (await store.reserve([slot("b")])) == Reservation(None, (2,))
    assert (await store.reserve([slot("c")])).refused == 0
    await store.settle(Settlement(slots=(("s", "a"),)))
    assert (await store.reserve([slot("c")])).refused is None
    lease = Claim("lease", 1, 1, 0.1, slot_id="x")
    assert (await store.reserve([lease])).refused is None
    await asyncio.sleep(0.15)
    assert (await store.reserve([Claim("lease", 1, 1, 60, slot_id="y")])).refused is None

    # All or nothing: the last claim does not fit, so the others are not taken either, but
    # for a sticky one (a request counts toward requests/minute even when it is refused).
    claims = [
        Claim("rpm", 1, 10, 60, sticky=True),
        Claim("tpm", 5, 10, 60),
        Claim("slots", 1, 5, 60, slot_id="z"),
        Claim("budget", 500, 100, 60),
    ]
    assert (await store.reserve(claims)) == Reservation(3, (0, 0, 0, 0))
    after = await store.reserve([Claim("rpm", 1, 10, 60), Claim("tpm", 5, 10, 60)])
    assert after == Reservation(None, (2, 5))  # rpm: the refused request and this one
    assert (await store.reserve([Claim("slots", 1, 1, 60, slot_id="w")])).refused is None

    # A counter lives for its ttl from its first use, however often it is added to; once
    # expired, the next use starts it again from zero.
    window = [Claim("window", 1, 10, 0.3)]
    await store.reserve(window)
    await asyncio.sleep(0.2)
    assert (await store.reserve(window)).used == (2,)
    await asyncio.sleep(0.2)  # 0.4 s after the first use: gone, though used 0.2 s ago
    assert (await store.reserve(window)).used == (1,)
    await store.settle(Settlement(adjustments=(("window", 4, 0.3),)))
    assert (await store.reserve(window)).used == (6,)


async def test_memory_quota_store() -> None:
    await check_quota_store(MemoryQuotaStore())


async def test_redis_quota_store(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    store = RedisQuotaStore(client)
    try:
        await check_quota_store(store)
    finally:
        await store.aclose()
        await client.aclose()


class Replicas:
    """Redis quota stores sharing one Redis and one key prefix, as replicas do; `client`
    reads the counters as they are in Redis."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self.prefix = f"quota-test:{uuid4().hex}:"
        self.stores: list[RedisQuotaStore] = []

    def store(self, settle_delay_seconds: float = 60) -> RedisQuotaStore:
        store = RedisQuotaStore(self.client, self.prefix, settle_delay_seconds=settle_delay_seconds)
        self.stores.append(store)
        return store

    async def counter(self, key: str) -> bytes | None:
        value: bytes | None = await self.client.get(self.prefix + key)
        return value


@pytest.fixture
async def replicas(redis_url: str) -> AsyncIterator[Replicas]:
    client = Redis.from_url(redis_url)
    shared = Replicas(client)
    try:
        yield shared
    finally:
        for store in shared.stores:
            await store.aclose()
        await client.aclose()


async def test_redis_corrections_travel_with_the_next_reservation(replicas: Replicas) -> None:
    one, other = replicas.store(), replicas.store()
    assert (await one.reserve([Claim("t", 60, 100, 60)])).used == (60,)
    await one.settle(Settlement(adjustments=(("t", -50, 60),)))
    await one.settle(Settlement(adjustments=(("t", -5, 60),)))
    assert one.pending == 1  # summed by counter, not sent on their own
    assert await replicas.counter("t") == b"60"
    assert (await other.reserve([Claim("t", 1, 100, 60)])).used == (61,)
    # This replica's next reservation applies them first, in the same step: it sees
    # 60 + 1 - 55 = 6, and the claim that would not fit without them fits.
    assert (await one.reserve([Claim("t", 90, 100, 60)])) == Reservation(None, (96,))
    assert one.pending == 0
    assert await replicas.counter("t") == b"96"


async def test_redis_corrections_are_applied_within_the_delay_without_a_reservation(
    replicas: Replicas,
) -> None:
    store = replicas.store(settle_delay_seconds=0.05)
    await store.reserve([Claim("t", 60, 100, 60)])
    await store.settle(Settlement(adjustments=(("t", -50, 60),)))
    assert await replicas.counter("t") == b"60"
    await asyncio.sleep(0.3)
    assert await replicas.counter("t") == b"10"
    assert store.pending == 0
    # `flush` (at shutdown) applies them at once.
    slow = replicas.store()
    await slow.settle(Settlement(adjustments=(("t", 7, 60),)))
    await slow.flush()
    assert await replicas.counter("t") == b"17"
    assert slow.pending == 0


async def test_redis_slot_releases_are_not_deferred(replicas: Replicas) -> None:
    one, other = replicas.store(), replicas.store()
    await one.reserve([Claim("tokens", 60, 100, 60), Claim("s", 1, 1, 60, slot_id="a")])
    await one.settle(Settlement(adjustments=(("tokens", -1, 60),)))
    await one.settle(Settlement(adjustments=(("tokens", -50, 60),), slots=(("s", "a"),)))
    # Another replica can take the slot at once; the waiting corrections went too.
    assert (await other.reserve([Claim("s", 1, 1, 60, slot_id="b")])).refused is None
    assert await replicas.counter("tokens") == b"9"
    assert one.pending == 0


async def test_redis_corrections_go_at_once_with_no_delay(replicas: Replicas) -> None:
    store = replicas.store(settle_delay_seconds=0)
    await store.reserve([Claim("t", 60, 100, 60)])
    await store.settle(Settlement(adjustments=(("t", -50, 60),)))
    assert await replicas.counter("t") == b"10"
    assert store.pending == 0


async def test_redis_corrections_wait_while_redis_cannot_be_reached() -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    store = RedisQuotaStore(client, settle_delay_seconds=60)
    try:
        await store.settle(Settlement(adjustments=(("t", -50, 60),)))
        with pytest.raises(RedisConnectionError):
            await store.reserve([Claim("t", 1, 100, 60)])
        with pytest.raises(RedisConnectionError):
            await store.settle(Settlement(adjustments=(("u", 1, 60),), slots=(("s", "a"),)))
        with pytest.raises(RedisConnectionError):
            await store.flush()
        assert store.pending == 2  # kept for when it answers again, none lost
    finally:
        await client.aclose()


async def test_retention_deletes_old_raw_rows_in_batches_and_keeps_rollups(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    store = SqlUsageStore(create_session_factory(engine))
    now = datetime.now(UTC)
    user = uuid4()

    def record(days_ago: int) -> UsageRecord:
        return UsageRecord(
            id=uuid4(),
            at=now - timedelta(days=days_ago),
            user_id=user,
            endpoint="chat.completions",
            requested_model="m",
            status=UsageStatus.SUCCESS,
            prompt_tokens=10,
            completion_tokens=1,
            cost=Decimal("0.001"),
        )

    try:
        await store.add_many([record(40) for _ in range(7)] + [record(1) for _ in range(3)])
        assert await PruneUsage(store, retention_days=30, batch_size=2)() == 7
        from parley.domain.usage import UsageQuery

        rows = await store.report(UsageQuery("user"))
        assert rows[0].requests == 10 and rows[0].cost == Decimal("0.01")
    finally:
        await engine.dispose()


async def test_concurrent_successes_on_a_closed_redis_circuit_cost_no_transaction_each(
    redis_url: str,
) -> None:
    client = Redis.from_url(redis_url)
    name = f"m-{uuid4().hex}"
    replica = RedisCircuitBreaker(client, SETTINGS, local_seconds=5)
    try:
        assert (await replica.allow(name))[0]
        # One WATCH/MULTI per success made these contend (retries, then "too contended").
        await asyncio.gather(*(replica.record_success(name) for _ in range(300)))
        assert await client.hget(f"parley:circuit:{name}", "window_total") is None
        await replica.record_failure(name)  # the next transaction carries them
        stored = await client.hgetall(f"parley:circuit:{name}")
        assert int(stored[b"window_total"]) == 301
        assert int(stored[b"consecutive"]) == 1
    finally:
        await client.aclose()


async def test_successes_counted_while_closed_do_not_close_a_circuit_opened_meanwhile(
    redis_url: str,
) -> None:
    clients = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    name = f"m-{uuid4().hex}"
    caching = RedisCircuitBreaker(clients[0], SETTINGS, local_seconds=5)
    direct = RedisCircuitBreaker(clients[1], SETTINGS, local_seconds=0)
    try:
        assert (await caching.allow(name))[0]
        for _ in range(3):
            await caching.record_success(name)  # counted locally
        for _ in range(3):
            await direct.record_failure(name)  # opens it
        assert await direct.state(name) is Circuit.OPEN
        await caching.record_failure(name)  # applies the three successes, too late to count
        assert await caching.state(name) is Circuit.OPEN
    finally:
        for client in clients:
            await client.aclose()


async def test_a_burst_of_failures_on_one_replica_is_counted_without_contention(
    redis_url: str,
) -> None:
    client = Redis.from_url(redis_url, max_connections=1000)
    name = f"m-{uuid4().hex}"
    many = BreakerSettings(consecutive_failures=10_000, min_requests=10_000)
    replica = RedisCircuitBreaker(client, many, local_seconds=0.5)
    try:
        # An upstream failing under load: every request in flight reports at once. Their
        # transactions on one key used to retry against each other (then give up).
        await asyncio.gather(*(replica.record_failure(name) for _ in range(300)))
        stored = await client.hgetall(f"parley:circuit:{name}")
        assert int(stored[b"window_failures"]) == 300
    finally:
        await client.aclose()
