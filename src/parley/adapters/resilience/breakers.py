"""Circuit breakers over the pure state machine in `parley.domain.circuit`.

`MemoryCircuitBreaker` keeps states in a dict; `parley.adapters.redis.breaker` keeps them
in Redis for every replica to share."""

from __future__ import annotations

import time
from collections.abc import Callable

from parley.application.ports.circuit import CircuitListener
from parley.domain.circuit import (
    BreakerSettings,
    BreakerState,
    Circuit,
    on_allow,
    on_failure,
    on_success,
)
from parley.log import get_logger

log = get_logger("parley.circuit")
#: A model never seen yet: its circuit is closed (states are immutable, so one is shared
#: rather than built on every call — a frozen dataclass costs a few microseconds).
_NEW = BreakerState()
Transition = Callable[[BreakerState, float, BreakerSettings], BreakerState]


def allow_transition(
    state: BreakerState, now: float, settings: BreakerSettings
) -> tuple[BreakerState, tuple[bool, float]]:
    new, allowed, retry_after = on_allow(state, now, settings)
    return new, (allowed, retry_after)


class TransitionNotifier:
    def __init__(self, listener: CircuitListener | None) -> None:
        self._listener = listener

    async def changed(self, name: str, old: Circuit, new: Circuit) -> None:
        if old is new:
            return
        log.warning("circuit_changed", model=name, old=old.value, new=new.value)
        if self._listener is not None:
            try:
                await self._listener.circuit_changed(name, old, new)
            except Exception:  # a listener (incidents, webhooks) never breaks the chat path
                log.exception("circuit_listener_failed", model=name)


class MemoryCircuitBreaker:
    def __init__(
        self,
        settings: BreakerSettings,
        listener: CircuitListener | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._states: dict[str, BreakerState] = {}
        self._notify = TransitionNotifier(listener)
        self._clock = clock

    async def allow(self, name: str) -> tuple[bool, float]:
        old = self._states.get(name, _NEW)
        if old.circuit is Circuit.CLOSED:
            return True, 0.0
        new, result = allow_transition(old, self._clock(), self._settings)
        self._states[name] = new
        await self._notify.changed(name, old.circuit, new.circuit)
        return result

    async def record_success(self, name: str) -> None:
        await self._apply(name, on_success)

    async def record_failure(self, name: str) -> None:
        await self._apply(name, on_failure)

    async def state(self, name: str) -> Circuit:
        return self._states.get(name, _NEW).circuit

    async def _apply(self, name: str, transition: Transition) -> None:
        old = self._states.get(name, _NEW)
        new = transition(old, self._clock(), self._settings)
        self._states[name] = new
        await self._notify.changed(name, old.circuit, new.circuit)
