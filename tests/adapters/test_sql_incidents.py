"""The one-open-automatic-incident-per-model guard and the guarded resolve, on SQLite and
PostgreSQL, with concurrent transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from parley.adapters.clock import SystemClock
from parley.adapters.sql.engine import create_engine
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.application.incidents.automatic import AutomaticIncidents, ResolveRecoveredIncidents
from parley.application.ports.incidents import SilentNotifier
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.domain.circuit import Circuit


class ClosedBreaker:
    async def allow(self, name: str) -> tuple[bool, float]:
        return True, 0.0

    async def record_success(self, name: str) -> None:
        return None

    async def record_failure(self, name: str) -> None:
        return None

    async def state(self, name: str) -> Circuit:
        return Circuit.CLOSED


@pytest.fixture
async def uow_factory(database_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(database_url)

    def factory() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    yield factory
    await engine.dispose()


async def test_replicas_opening_at_once_make_one_incident(uow_factory: UnitOfWorkFactory) -> None:
    replicas = [
        AutomaticIncidents(uow_factory, SilentNotifier(), SystemClock(), resolve_after_seconds=0)
        for _ in range(4)
    ]
    await asyncio.gather(*(replica.breaker_opened("m") for replica in replicas))
    await replicas[0].breaker_opened("other")
    async with uow_factory() as uow:
        opened = await uow.incidents.open_automatic()
        assert sorted(incident.source_model or "" for incident in opened) == ["m", "other"]
        [incident] = await uow.incidents.open_automatic("m")
        assert len(await uow.incident_updates.of(incident.id)) == 1


async def test_resolvers_running_at_once_resolve_once(uow_factory: UnitOfWorkFactory) -> None:
    incidents = AutomaticIncidents(
        uow_factory, SilentNotifier(), SystemClock(), resolve_after_seconds=0
    )
    await incidents.breaker_opened("m")
    await incidents.recovered("m")
    resolvers = [
        ResolveRecoveredIncidents(
            uow_factory, ClosedBreaker(), SilentNotifier(), SystemClock(), resolve_after_seconds=0
        )
        for _ in range(3)
    ]
    results = await asyncio.gather(*(resolve() for resolve in resolvers))
    assert sum(results) == 1
    async with uow_factory() as uow:
        assert await uow.incidents.open_automatic() == []
        [incident] = await uow.incidents.page(True, None, 10)
        statuses = [u.status.value for u in await uow.incident_updates.of(incident.id)]
    assert statuses == ["investigating", "monitoring", "resolved"]

    # The next outage of the same model is a new incident.
    await incidents.breaker_opened("m")
    async with uow_factory() as uow:
        assert len(await uow.incidents.open_automatic("m")) == 1
        assert len(await uow.incidents.page(None, None, 10)) == 2


async def test_failing_again_while_recovering_is_the_same_outage(
    uow_factory: UnitOfWorkFactory,
) -> None:
    incidents = AutomaticIncidents(
        uow_factory, SilentNotifier(), SystemClock(), resolve_after_seconds=60
    )
    await incidents.breaker_opened("m")
    await incidents.probing("m")
    await incidents.recovered("m")
    await incidents.breaker_opened("m")  # within the resolve window: no new incident
    await incidents.breaker_opened("m")  # still the same outage: nothing to add
    async with uow_factory() as uow:
        [incident] = await uow.incidents.page(None, None, 10)
        updates = await uow.incident_updates.of(incident.id)
    assert incident.is_open and incident.status.value == "investigating"
    assert [u.status.value for u in updates] == [
        "investigating",
        "investigating",
        "monitoring",
        "investigating",
    ]
    assert "failing again" in updates[-1].message
