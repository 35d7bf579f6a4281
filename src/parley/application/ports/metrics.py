"""What the chat path reports for monitoring."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol


class ChatMetrics(Protocol):
    def chat_finished(
        self,
        model: str,
        outcome: str,
        latency_seconds: float,
        ttft_seconds: float | None,
        prompt_tokens: int,
        completion_tokens: int,
        cost: Decimal,
    ) -> None: ...

    def stream_opened(self) -> None: ...

    def stream_closed(self) -> None: ...

    def limited(self, limit: str) -> None: ...


class NoMetrics:
    def chat_finished(
        self,
        model: str,
        outcome: str,
        latency_seconds: float,
        ttft_seconds: float | None,
        prompt_tokens: int,
        completion_tokens: int,
        cost: Decimal,
    ) -> None:
        return None

    def stream_opened(self) -> None:
        return None

    def stream_closed(self) -> None:
        return None

    def limited(self, limit: str) -> None:
        return None


class HttpMetrics(Protocol):
    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None: ...


class MetricsExporter(Protocol):
    def render(self) -> tuple[bytes, str]:
        """(body, content type) in the Prometheus text format."""
        ...


class CircuitGauge(Protocol):
    def circuit_state(self, model: str, state: str) -> None: ...
