"""The circuit listener that turns breaker transitions into incident changes.

A transition is reported from inside the chat path (the request whose failure opened the
breaker), so the listener only queues it; one background task applies the queue in
order, with its own short transactions. A full queue drops the transition (logged): the
resolver's reconciliation and the next transition make up for it."""

from __future__ import annotations

import asyncio

from parley.application.incidents.automatic import AutomaticIncidents
from parley.application.ports.logger import Logger
from parley.domain.circuit import Circuit

Transition = tuple[str, Circuit, Circuit]


class IncidentCircuitWatch:
    def __init__(
        self, incidents: AutomaticIncidents, logger: Logger, *, max_pending: int = 1000
    ) -> None:
        self._incidents = incidents
        self._log = logger
        self._queue: asyncio.Queue[Transition] = asyncio.Queue(max_pending)

    async def circuit_changed(self, name: str, old: Circuit, new: Circuit) -> None:
        try:
            self._queue.put_nowait((name, old, new))
        except asyncio.QueueFull:
            self._log.error("incident_transition_dropped", model=name, new=new.value)

    async def run(self) -> None:
        """Apply queued transitions until cancelled."""
        while True:
            transition = await self._queue.get()
            await self._apply(transition)

    async def drain(self) -> None:
        """Apply whatever is queued now (at shutdown, after `run` was cancelled)."""
        while not self._queue.empty():
            await self._apply(self._queue.get_nowait())

    async def _apply(self, transition: Transition) -> None:
        name, old, new = transition
        try:
            if new is Circuit.OPEN:
                if old is Circuit.HALF_OPEN:
                    await self._incidents.probe_failed(name)
                else:
                    await self._incidents.breaker_opened(name)
            elif new is Circuit.HALF_OPEN:
                await self._incidents.probing(name)
            else:
                await self._incidents.recovered(name)
        except Exception:
            self._log.exception("incident_transition_failed", model=name, new=new.value)
