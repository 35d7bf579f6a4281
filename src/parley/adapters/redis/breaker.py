"""The circuit breaker shared by every replica: states in Redis hashes, updated with
optimistic transactions (WATCH/MULTI) over the same pure state machine as the in-process
breaker. A replica remembers a closed circuit for `local_seconds`, so the healthy path
costs no Redis round-trip per request: its successes on a circuit it saw closed are
counted locally and applied in its next transaction on that circuit (the `allow()` that
refreshes the local copy, or a failure), and a replica runs one transaction per circuit at
a time. One transaction per success made every request contend for the same key under load
(WATCH retries, then a false "Redis unreachable"; bench/NOTES.md)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping

from redis.asyncio import Redis
from redis.exceptions import WatchError

from parley.adapters.resilience.breakers import TransitionNotifier, allow_transition
from parley.application.ports.circuit import CircuitListener
from parley.application.singleflight import SingleFlight
from parley.domain.circuit import (
    BreakerSettings,
    BreakerState,
    Circuit,
    on_failure,
    on_success,
    on_successes_seen_closed,
)


def _encode(state: BreakerState) -> dict[str, str]:
    return {f.name: str(getattr(state, f.name)) for f in dataclasses.fields(state)}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(raw: Mapping[bytes | str, bytes | str]) -> BreakerState:
    if not raw:
        return BreakerState()
    values = {_text(k): _text(v) for k, v in raw.items()}
    return BreakerState(
        circuit=Circuit(values.get("circuit", "closed")),
        consecutive=int(values.get("consecutive", 0)),
        window_start=float(values.get("window_start", 0)),
        window_total=int(values.get("window_total", 0)),
        window_failures=int(values.get("window_failures", 0)),
        opened_at=float(values.get("opened_at", 0)),
        probe_until=float(values.get("probe_until", 0)),
    )


class RedisCircuitBreaker:
    def __init__(
        self,
        client: Redis,
        settings: BreakerSettings,
        listener: CircuitListener | None = None,
        *,
        prefix: str = "parley:circuit:",
        local_seconds: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._settings = settings
        self._notify = TransitionNotifier(listener)
        self._prefix = prefix
        self._local_seconds = local_seconds
        self._closed_until: dict[str, float] = {}
        self._unsent_successes: dict[str, int] = {}
        self._seen_closed: set[str] = set()  # closed in this replica's last transaction
        self._locks: dict[str, asyncio.Lock] = {}
        self._refreshes: SingleFlight[str, tuple[Circuit, tuple[bool, float]]] = SingleFlight()
        self._clock = clock

    async def allow(self, name: str) -> tuple[bool, float]:
        if self._closed_until.get(name, 0.0) > time.monotonic():
            return True, 0.0
        # When the local copy runs out under load, every request in flight would run its own
        # transaction on the same key (they contend: WATCH retries, seconds of waiting). One
        # of them reads the circuit; the others take its answer if the circuit is closed. A
        # circuit that is not closed admits one probe at a time: they ask for themselves.
        asked = False

        async def refresh() -> tuple[Circuit, tuple[bool, float]]:
            nonlocal asked
            asked = True
            return await self._allow_in_redis(name)

        circuit, result = await self._refreshes.do(name, refresh)
        if asked:
            return result
        if circuit is Circuit.CLOSED:
            return True, 0.0
        return (await self._allow_in_redis(name))[1]

    async def _allow_in_redis(self, name: str) -> tuple[Circuit, tuple[bool, float]]:
        old, new, result = await self._update_with_successes(name, allow_transition)
        if new.circuit is Circuit.CLOSED:
            self._closed_until[name] = time.monotonic() + self._local_seconds
        await self._notify.changed(name, old.circuit, new.circuit)
        assert isinstance(result, tuple)
        return new.circuit, (bool(result[0]), float(result[1]))

    async def record_success(self, name: str) -> None:
        if name in self._seen_closed:
            self._unsent_successes[name] = self._unsent_successes.get(name, 0) + 1
            return
        old, new, _ = await self._update_with_successes(
            name, lambda s, n, c: (on_success(s, n, c), None)
        )
        await self._notify.changed(name, old.circuit, new.circuit)

    async def record_failure(self, name: str) -> None:
        self._closed_until.pop(name, None)
        old, new, _ = await self._update_with_successes(
            name, lambda s, n, c: (on_failure(s, n, c), None)
        )
        await self._notify.changed(name, old.circuit, new.circuit)

    async def _update_with_successes(
        self,
        name: str,
        transition: Callable[[BreakerState, float, BreakerSettings], tuple[BreakerState, object]],
    ) -> tuple[BreakerState, BreakerState, object]:
        """`transition`, after the successes counted locally since the last transaction."""
        count = self._unsent_successes.pop(name, 0)

        def with_successes(
            state: BreakerState, now: float, settings: BreakerSettings
        ) -> tuple[BreakerState, object]:
            return transition(on_successes_seen_closed(state, now, settings, count), now, settings)

        try:
            old, new, result = await self._update(name, with_successes)
        except BaseException:
            self._unsent_successes[name] = self._unsent_successes.get(name, 0) + count
            raise
        return old, new, result

    async def state(self, name: str) -> Circuit:
        return _decode(await self._client.hgetall(self._prefix + name)).circuit

    async def _update(
        self,
        name: str,
        transition: Callable[[BreakerState, float, BreakerSettings], tuple[BreakerState, object]],
    ) -> tuple[BreakerState, BreakerState, object]:
        key = self._prefix + name
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        async with lock:  # one transaction per circuit at a time here: contention only
            old, new, result = await self._transact(key, transition)  # between replicas
        if new.circuit is Circuit.CLOSED:
            self._seen_closed.add(name)
        else:
            self._seen_closed.discard(name)
        return old, new, result

    async def _transact(
        self,
        key: str,
        transition: Callable[[BreakerState, float, BreakerSettings], tuple[BreakerState, object]],
    ) -> tuple[BreakerState, BreakerState, object]:
        for attempt in range(50):
            async with self._client.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    old = _decode(await pipe.hgetall(key))
                    new, result = transition(old, self._clock(), self._settings)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    if new != old:
                        pipe.hset(key, mapping=dict(_encode(new)))  # type: ignore[arg-type]
                        pipe.expire(key, 86400)
                    await pipe.execute()
                    return old, new, result
                except WatchError:
                    await asyncio.sleep(0.001 * attempt)
        raise RuntimeError("circuit breaker state is too contended")
