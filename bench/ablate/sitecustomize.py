"""Switches parts of Parley's request path off, for `bench/instructions.py --ablate`: what each
feature costs is the difference it makes. Measurement only — never on a real server.

Python imports `sitecustomize` at start-up from the path; instructions.py puts this folder
on Parley's PYTHONPATH and names the parts in PARLEY_BENCH_ABLATE (comma-separated):

- metrics: the Prometheus updates of every request (HTTP and chat metrics);
- usage: the usage sink (the record is still built; nothing is buffered or written);
- auth: each credential is checked once, then its principal is reused;
- breaker: the circuit breaker always allows and records nothing.

(`log` and `limits` need no patch: instructions.py sets the log level and the tier limits.)
"""

from __future__ import annotations

import os
from typing import Any

PARTS = set(filter(None, os.environ.get("PARLEY_BENCH_ABLATE", "").split(",")))


def _ablate() -> None:
    if "metrics" in PARTS:
        from parley.adapters.observability.prometheus import PrometheusMetrics

        PrometheusMetrics.request_finished = lambda self, *a, **k: None  # type: ignore[method-assign]
        PrometheusMetrics.chat_finished = lambda self, *a, **k: None  # type: ignore[method-assign]
    if "usage" in PARTS:
        from parley.application.usage.recorder import BatchingUsageSink

        BatchingUsageSink.record = lambda self, record: None  # type: ignore[method-assign]
    if "auth" in PARTS:
        from parley.application.identity.authenticate import Authenticate

        checked: dict[str, Any] = {}
        check = Authenticate.__call__

        async def once(self: Authenticate, credential: str) -> Any:
            if credential not in checked:
                checked[credential] = await check(self, credential)
            return checked[credential]

        Authenticate.__call__ = once  # type: ignore[method-assign]
    if "breaker" in PARTS:
        from parley.adapters.resilience.breakers import MemoryCircuitBreaker

        async def allow(self: MemoryCircuitBreaker, name: str) -> tuple[bool, float]:
            return True, 0.0

        async def nothing(self: MemoryCircuitBreaker, name: str) -> None:
            return None

        MemoryCircuitBreaker.allow = allow  # type: ignore[method-assign]
        MemoryCircuitBreaker.record_success = nothing  # type: ignore[method-assign]


_ablate()
