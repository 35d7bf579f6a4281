"""Model health for the status page, the rolling outcome count behind it, and the circuit
watch's dispatch of breaker transitions."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from parley.application.incidents.circuit_watch import IncidentCircuitWatch
from parley.application.incidents.recent_outcomes import OutcomeTap, RecentOutcomes
from parley.application.incidents.status import GetStatus, Health, HealthRules
from parley.application.ports.logger import SilentLogger
from parley.application.ports.metrics import NoMetrics
from parley.domain.circuit import Circuit
from parley.domain.models import ModelConfig
from tests.unit.fakes import T0
from tests.unit.model_fakes import model_config


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def model(name: str, enabled: bool = True) -> ModelConfig:
    return model_config(name, enabled=enabled, created_at=T0, updated_at=T0)


class Models:
    def __init__(self, *models: ModelConfig) -> None:
        self.models = list(models)

    async def all(self) -> Sequence[ModelConfig]:
        return self.models


class Breaker:
    def __init__(self, states: dict[str, Circuit]) -> None:
        self.states = states

    async def allow(self, name: str) -> tuple[bool, float]:
        return True, 0.0

    async def record_success(self, name: str) -> None:
        return None

    async def record_failure(self, name: str) -> None:
        return None

    async def state(self, name: str) -> Circuit:
        return self.states.get(name, Circuit.CLOSED)


class NoIncidents:
    async def page(self, resolved: bool | None, after: Any, limit: int) -> list[Any]:
        return []


class Uow:
    incidents = NoIncidents()

    async def __aenter__(self) -> Uow:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def finish(tap: OutcomeTap, name: str, outcome: str) -> None:
    tap.chat_finished(name, outcome, 0.1, None, 1, 1, Decimal(0))


async def test_health_from_breaker_and_recent_errors() -> None:
    clock = Monotonic()
    outcomes = RecentOutcomes(window_seconds=60, bucket_seconds=10, monotonic=clock)
    tap = OutcomeTap(NoMetrics(), outcomes)
    for _ in range(4):
        finish(tap, "flaky", "error")
    finish(tap, "flaky", "success")
    finish(tap, "few", "error")  # one failure of one request: too few to judge
    for _ in range(10):
        finish(tap, "gone", "cancelled")  # a client leaving is not the model's fault
    breaker = Breaker({"open": Circuit.OPEN, "probing": Circuit.HALF_OPEN})
    catalog = Models(*(model(n) for n in ("open", "probing", "flaky", "few", "gone", "ok")))
    catalog.models.append(model("off", enabled=False))
    status = GetStatus(
        catalog, breaker, outcomes, Uow, HealthRules(0.5, 5), cache_seconds=0, monotonic=clock
    )

    report = await status()
    health = {m.name: m.health for m in report.models}
    assert health == {
        "open": Health.DOWN,
        "probing": Health.DEGRADED,
        "flaky": Health.DEGRADED,
        "few": Health.UP,
        "gone": Health.UP,
        "ok": Health.UP,
    }
    assert report.overall is Health.DEGRADED
    flaky = next(m for m in report.models if m.name == "flaky")
    assert (flaky.recent_requests, flaky.recent_error_ratio) == (5, 0.8)

    clock.now += 61  # the window has passed
    health = {m.name: m.health for m in (await status()).models}
    assert (health["flaky"], health["open"]) == (Health.UP, Health.DOWN)
    assert outcomes.counts("flaky").requests == 0


async def test_a_closed_breaker_starts_a_fresh_count() -> None:
    outcomes = RecentOutcomes()
    outcomes.record("m", failed=True)
    await outcomes.circuit_changed("m", Circuit.OPEN, Circuit.HALF_OPEN)
    assert outcomes.counts("m").errors == 1
    await outcomes.circuit_changed("m", Circuit.HALF_OPEN, Circuit.CLOSED)
    assert outcomes.counts("m").requests == 0


async def test_status_is_cached_briefly() -> None:
    clock = Monotonic()
    breaker = Breaker({})
    status = GetStatus(
        Models(model("m")),
        breaker,
        RecentOutcomes(),
        Uow,
        HealthRules(),
        cache_seconds=2,
        monotonic=clock,
    )
    assert (await status()).models[0].health is Health.UP
    breaker.states["m"] = Circuit.OPEN
    assert (await status()).models[0].health is Health.UP
    clock.now += 2
    assert (await status()).models[0].health is Health.DOWN


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail

    def __getattr__(self, action: str) -> Any:
        async def call(name: str) -> None:
            self.calls.append((action, name))
            if self.fail:
                raise RuntimeError("database down")

        return call


@pytest.mark.parametrize(
    ("old", "new", "action"),
    [
        (Circuit.CLOSED, Circuit.OPEN, "breaker_opened"),
        (Circuit.OPEN, Circuit.HALF_OPEN, "probing"),
        (Circuit.HALF_OPEN, Circuit.OPEN, "probe_failed"),
        (Circuit.HALF_OPEN, Circuit.CLOSED, "recovered"),
    ],
)
async def test_the_watch_turns_transitions_into_incident_steps(
    old: Circuit, new: Circuit, action: str
) -> None:
    recorder = Recorder()
    watch = IncidentCircuitWatch(recorder, SilentLogger())  # type: ignore[arg-type]
    await watch.circuit_changed("m", old, new)
    assert recorder.calls == []  # the chat path only queues
    await watch.drain()
    assert recorder.calls == [(action, "m")]


async def test_the_watch_never_raises_and_drops_when_full() -> None:
    recorder = Recorder(fail=True)
    watch = IncidentCircuitWatch(recorder, SilentLogger(), max_pending=1)  # type: ignore[arg-type]
    await watch.circuit_changed("m", Circuit.CLOSED, Circuit.OPEN)
    await watch.circuit_changed("m", Circuit.OPEN, Circuit.HALF_OPEN)  # dropped, not raised
    await watch.drain()  # the failing step is logged, not raised
    assert recorder.calls == [("breaker_opened", "m")]
