"""Fanning circuit transitions out to whoever cares (metrics now, incidents too)."""

from __future__ import annotations

from collections.abc import Sequence

from parley.application.ports.circuit import CircuitListener
from parley.application.ports.metrics import CircuitGauge
from parley.domain.circuit import Circuit


class CircuitGaugeListener:
    def __init__(self, gauge: CircuitGauge) -> None:
        self._gauge = gauge

    async def circuit_changed(self, name: str, old: Circuit, new: Circuit) -> None:
        self._gauge.circuit_state(name, new.value)


class CircuitFanout:
    """Calls every listener in order; one failing does not stop the others."""

    def __init__(self, listeners: Sequence[CircuitListener]) -> None:
        self._listeners = list(listeners)

    def add(self, listener: CircuitListener) -> None:
        self._listeners.append(listener)

    async def circuit_changed(self, name: str, old: Circuit, new: Circuit) -> None:
        errors: list[Exception] = []
        for listener in self._listeners:
            try:
                await listener.circuit_changed(name, old, new)
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]
