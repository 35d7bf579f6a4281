"""Incidents opened, updated and resolved by models' circuit breakers.

One incident per outage: a breaker that opens while its model's automatic incident is
still unresolved (say, recovering) adds to that incident rather than opening another, and
the repository's guard keeps two replicas from both opening one. A recovered incident is
resolved by `ResolveRecoveredIncidents` once its breaker has stayed closed for
`resolve_after_seconds` with nothing else happening to the incident."""

from __future__ import annotations

import uuid
from datetime import timedelta

from parley.application.incidents.journal import record
from parley.application.ports.circuit import CircuitBreaker
from parley.application.ports.clock import Clock
from parley.application.ports.incidents import IncidentNotifier
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.circuit import Circuit
from parley.domain.incidents import Incident, IncidentEvent, IncidentStatus, Severity


class AutomaticIncidents:
    """What happens to a model's automatic incident on each breaker transition. Each call is
    one short transaction; none raises for a model without an open incident."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        notifier: IncidentNotifier,
        clock: Clock,
        *,
        resolve_after_seconds: float,
        severity: Severity = Severity.MAJOR,
    ) -> None:
        self._uow_factory = uow_factory
        self._notifier = notifier
        self._clock = clock
        self._resolve_after = resolve_after_seconds
        self._severity = severity

    async def breaker_opened(self, model: str) -> None:
        now = self._clock.now()
        async with self._uow_factory() as uow:
            existing = await uow.incidents.open_automatic(model)
            if existing:
                incident = existing[0]
                if incident.status is not IncidentStatus.MONITORING:
                    return  # the outage this incident is about is still going on
                incident.move_to(IncidentStatus.INVESTIGATING, now)
                await uow.incidents.update(incident)
                event = IncidentEvent.UPDATED
                message = f"{model} is failing again; its circuit breaker opened."
            else:
                incident = Incident(
                    id=uuid.uuid4(),
                    title=f"{model} is unavailable",
                    severity=self._severity,
                    status=IncidentStatus.INVESTIGATING,
                    affected_models=[model],
                    created_at=now,
                    updated_at=now,
                    auto=True,
                    source_model=model,
                )
                if not await uow.incidents.add(incident):
                    return  # another replica opened it a moment ago
                event = IncidentEvent.OPENED
                message = (
                    f"Requests to {model} kept failing, so its circuit breaker opened: "
                    "requests to it are refused (or sent to fallbacks) for now."
                )
            update = await record(
                uow, incident, event, message, now, author_id=None, circuit="open"
            )
            await uow.commit()
        self._notifier.publish(event, incident, update)

    async def probing(self, model: str) -> None:
        await self._note(
            model,
            None,
            f"Cool-down over: trying {model} again with a probe request.",
            "half_open",
        )

    async def probe_failed(self, model: str) -> None:
        await self._note(
            model,
            IncidentStatus.INVESTIGATING,
            f"The probe request to {model} failed; it is still unavailable.",
            "open",
        )

    async def recovered(self, model: str) -> None:
        await self._note(
            model,
            IncidentStatus.MONITORING,
            f"{model} answered again and its circuit breaker closed. Monitoring; this "
            f"resolves automatically after {self._resolve_after:g} s without failures.",
            "closed",
        )

    async def _note(
        self, model: str, status: IncidentStatus | None, message: str, circuit: str
    ) -> None:
        now = self._clock.now()
        async with self._uow_factory() as uow:
            existing = await uow.incidents.open_automatic(model)
            if not existing:
                return
            incident = existing[0]
            if status is not None:
                incident.move_to(status, now)
            incident.updated_at = now
            await uow.incidents.update(incident)
            update = await record(
                uow, incident, IncidentEvent.UPDATED, message, now, author_id=None, circuit=circuit
            )
            await uow.commit()
        self._notifier.publish(IncidentEvent.UPDATED, incident, update)


class ResolveRecoveredIncidents:
    """Resolves each open automatic incident whose model's breaker is closed and which has
    not changed for `resolve_after_seconds` — normally one marked recovered, but also one
    whose recovery this replica never heard of (a restart, a lost transition). Safe to run
    on every replica at once: an incident changed since it was read is left alone. Returns
    how many it resolved."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        breaker: CircuitBreaker,
        notifier: IncidentNotifier,
        clock: Clock,
        *,
        resolve_after_seconds: float,
    ) -> None:
        self._uow_factory = uow_factory
        self._breaker = breaker
        self._notifier = notifier
        self._clock = clock
        self._resolve_after = resolve_after_seconds

    async def __call__(self) -> int:
        now = self._clock.now()
        quiet_since = now - timedelta(seconds=self._resolve_after)
        async with self._uow_factory() as uow:
            candidates = await uow.incidents.open_automatic()
        resolved = 0
        for incident in candidates:
            if incident.updated_at > quiet_since or incident.source_model is None:
                continue
            if await self._breaker.state(incident.source_model) is not Circuit.CLOSED:
                continue
            seen = incident.updated_at
            incident.move_to(IncidentStatus.RESOLVED, now)
            async with self._uow_factory() as uow:
                if not await uow.incidents.update(incident, if_updated_at=seen):
                    continue
                message = (
                    f"{incident.source_model} has stayed healthy for "
                    f"{self._resolve_after:g} s; resolved automatically."
                )
                update = await record(
                    uow,
                    incident,
                    IncidentEvent.RESOLVED,
                    message,
                    now,
                    author_id=None,
                    circuit="closed",
                )
                await uow.commit()
            self._notifier.publish(IncidentEvent.RESOLVED, incident, update)
            resolved += 1
        return resolved
