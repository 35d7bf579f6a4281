"""The status page's data: each enabled model's health and the open incidents. Served
without authentication, so it reveals only public names and never touches a provider."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from parley.application.incidents.recent_outcomes import RecentOutcomes
from parley.application.ports.circuit import CircuitBreaker
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.circuit import Circuit
from parley.domain.incidents import Incident
from parley.domain.models import ModelConfig


class ModelList(Protocol):
    async def all(self) -> Sequence[ModelConfig]:
        """Every model config, enabled or not (the catalog, from memory)."""
        ...


class Health(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class ModelHealth:
    name: str
    health: Health
    circuit: Circuit
    recent_requests: int
    recent_error_ratio: float


@dataclass(frozen=True, slots=True)
class StatusReport:
    models: list[ModelHealth]
    incidents: list[Incident]

    @property
    def overall(self) -> Health:
        """Down when every model is; up when every model is and no incident is open."""
        if self.models and all(model.health is Health.DOWN for model in self.models):
            return Health.DOWN
        if self.incidents or any(model.health is not Health.UP for model in self.models):
            return Health.DEGRADED
        return Health.UP


@dataclass(frozen=True, slots=True)
class HealthRules:
    """A closed circuit is still `degraded` when at least `min_requests` recent requests
    failed at `degraded_error_ratio` or more."""

    degraded_error_ratio: float = 0.2
    min_requests: int = 5


class GetStatus:
    """Open circuit → down, half-open → degraded, closed → up unless the recent error ratio
    says degraded. The report is cached for `cache_seconds` (an unauthenticated endpoint
    must not cost a query per hit)."""

    def __init__(
        self,
        catalog: ModelList,
        breaker: CircuitBreaker,
        outcomes: RecentOutcomes,
        uow_factory: UnitOfWorkFactory,
        rules: HealthRules,
        *,
        cache_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._catalog = catalog
        self._breaker = breaker
        self._outcomes = outcomes
        self._uow_factory = uow_factory
        self._rules = rules
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cached: tuple[float, StatusReport] | None = None

    async def __call__(self) -> StatusReport:
        now = self._monotonic()
        if self._cached is not None and now - self._cached[0] < self._cache_seconds:
            return self._cached[1]
        models = [
            await self._health(model.name) for model in await self._catalog.all() if model.enabled
        ]
        async with self._uow_factory() as uow:
            incidents = list(await uow.incidents.page(False, None, 200))
        report = StatusReport(models, incidents)
        self._cached = (now, report)
        return report

    async def _health(self, name: str) -> ModelHealth:
        circuit = await self._breaker.state(name)
        counts = self._outcomes.counts(name)
        if circuit is Circuit.OPEN:
            health = Health.DOWN
        elif circuit is Circuit.HALF_OPEN or (
            counts.requests >= self._rules.min_requests
            and counts.error_ratio >= self._rules.degraded_error_ratio
        ):
            health = Health.DEGRADED
        else:
            health = Health.UP
        return ModelHealth(name, health, circuit, counts.requests, round(counts.error_ratio, 4))
