"""The circuit breaker's state machine, as a pure function over a small state record, so the
in-process and the Redis-backed breakers share one definition of its behaviour."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Circuit(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    consecutive_failures: int = 5
    failure_ratio: float = 0.5
    min_requests: int = 20
    window_seconds: float = 60.0
    cooldown_seconds: float = 30.0
    probe_timeout_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class BreakerState:
    circuit: Circuit = Circuit.CLOSED
    consecutive: int = 0
    window_start: float = 0.0
    window_total: int = 0
    window_failures: int = 0
    opened_at: float = 0.0
    probe_until: float = 0.0


def _rolled(state: BreakerState, now: float, settings: BreakerSettings) -> BreakerState:
    if now - state.window_start >= settings.window_seconds:
        return replace(state, window_start=now, window_total=0, window_failures=0)
    return state


def on_allow(
    state: BreakerState, now: float, settings: BreakerSettings
) -> tuple[BreakerState, bool, float]:
    """(new state, allowed, retry after seconds)."""
    if state.circuit is Circuit.CLOSED:
        return state, True, 0.0
    if state.circuit is Circuit.OPEN:
        waited = now - state.opened_at
        if waited < settings.cooldown_seconds:
            return state, False, settings.cooldown_seconds - waited
        probing = replace(
            state, circuit=Circuit.HALF_OPEN, probe_until=now + settings.probe_timeout_seconds
        )
        return probing, True, 0.0
    if now >= state.probe_until:  # the last probe never reported back: let another one try
        return replace(state, probe_until=now + settings.probe_timeout_seconds), True, 0.0
    return state, False, state.probe_until - now


def on_success(state: BreakerState, now: float, settings: BreakerSettings) -> BreakerState:
    state = _rolled(state, now, settings)
    if state.circuit is not Circuit.CLOSED:
        return BreakerState(window_start=now)
    # Every answered request passes here: built directly (`replace` costs several times more).
    return BreakerState(
        circuit=Circuit.CLOSED,
        consecutive=0,
        window_start=state.window_start,
        window_total=state.window_total + 1,
        window_failures=state.window_failures,
        opened_at=state.opened_at,
        probe_until=state.probe_until,
    )


def on_successes_seen_closed(
    state: BreakerState, now: float, settings: BreakerSettings, count: int
) -> BreakerState:
    """`count` successes a replica counted on its own while it saw the circuit closed, applied
    late: they count in a closed circuit's window, and are dropped if it has opened since
    (they came before that, so they say nothing about the upstream now)."""
    if count <= 0 or state.circuit is not Circuit.CLOSED:
        return state
    state = _rolled(state, now, settings)
    return replace(state, consecutive=0, window_total=state.window_total + count)


def on_failure(state: BreakerState, now: float, settings: BreakerSettings) -> BreakerState:
    state = _rolled(state, now, settings)
    state = replace(
        state,
        consecutive=state.consecutive + 1,
        window_total=state.window_total + 1,
        window_failures=state.window_failures + 1,
    )
    if state.circuit is Circuit.HALF_OPEN:
        return replace(state, circuit=Circuit.OPEN, opened_at=now)
    if state.circuit is Circuit.CLOSED and (
        state.consecutive >= settings.consecutive_failures
        or (
            state.window_total >= settings.min_requests
            and state.window_failures / state.window_total >= settings.failure_ratio
        )
    ):
        return replace(state, circuit=Circuit.OPEN, opened_at=now)
    return state
