"""A small rolling count of chat outcomes per model, for the status page.

In process and per replica: it costs a dict update per request and no I/O, which is what
an unauthenticated status endpoint can afford to read. A replica that served few requests
says so (`requests` is part of the answer) rather than guessing."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from parley.application.ports.metrics import ChatMetrics
from parley.domain.circuit import Circuit

FAILED_OUTCOMES = frozenset({"error", "incomplete"})
"""Usage statuses that count against a model; "cancelled" (the client left) does not."""


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    requests: int = 0
    errors: int = 0

    @property
    def error_ratio(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


class RecentOutcomes:
    """Counts per model over the last `window_seconds`, in buckets of `bucket_seconds`."""

    def __init__(
        self,
        window_seconds: float = 300.0,
        bucket_seconds: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window_seconds
        self._bucket = bucket_seconds
        self._monotonic = monotonic
        # model -> deque of [bucket number, requests, errors], oldest first
        self._buckets: dict[str, deque[list[int]]] = {}

    def record(self, model: str, failed: bool) -> None:
        now_bucket = int(self._monotonic() // self._bucket)
        buckets = self._buckets.setdefault(model, deque())
        if not buckets or buckets[-1][0] != now_bucket:
            buckets.append([now_bucket, 0, 0])
        buckets[-1][1] += 1
        buckets[-1][2] += int(failed)
        self._expire(buckets, now_bucket)

    def counts(self, model: str) -> OutcomeCounts:
        buckets = self._buckets.get(model)
        if not buckets:
            return OutcomeCounts()
        self._expire(buckets, int(self._monotonic() // self._bucket))
        return OutcomeCounts(sum(b[1] for b in buckets), sum(b[2] for b in buckets))

    async def circuit_changed(self, name: str, old: Circuit, new: Circuit) -> None:
        """A `CircuitListener`: a recovered model starts a fresh count, so the requests
        refused while its breaker was open do not keep it "degraded" afterwards."""
        if new is Circuit.CLOSED:
            self._buckets.pop(name, None)

    def _expire(self, buckets: deque[list[int]], now_bucket: int) -> None:
        oldest = now_bucket - int(self._window // self._bucket)
        while buckets and buckets[0][0] <= oldest:
            buckets.popleft()


class OutcomeTap:
    """`ChatMetrics` that also feeds `RecentOutcomes`, then passes everything on."""

    def __init__(self, inner: ChatMetrics, outcomes: RecentOutcomes) -> None:
        self._inner = inner
        self._outcomes = outcomes

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
        if outcome != "cancelled":
            self._outcomes.record(model, outcome in FAILED_OUTCOMES)
        self._inner.chat_finished(
            model, outcome, latency_seconds, ttft_seconds, prompt_tokens, completion_tokens, cost
        )

    def stream_opened(self) -> None:
        self._inner.stream_opened()

    def stream_closed(self) -> None:
        self._inner.stream_closed()

    def limited(self, limit: str) -> None:
        self._inner.limited(limit)
