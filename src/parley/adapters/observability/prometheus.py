"""Prometheus metrics, in a registry of the container's own (not the global one), so several
apps in one process (tests) never collide. With several workers each process exposes its own
numbers; scrape each, or run one worker per container."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}


@dataclass(frozen=True, slots=True)
class _ChatChildren:
    requests: Any
    latency: Any
    ttft: Any
    prompt_tokens: Any
    completion_tokens: Any
    cost: Any


class PrometheusMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._http = Counter(
            "parley_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self._http_latency = Histogram(
            "parley_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._chat = Counter(
            "parley_chat_requests",
            "Chat requests by model and outcome",
            ["model", "outcome"],
            registry=r,
        )
        self._chat_latency = Histogram(
            "parley_chat_duration_seconds",
            "Chat request duration",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._ttft = Histogram(
            "parley_chat_time_to_first_token_seconds",
            "Time to the first token",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._tokens = Counter("parley_tokens", "Tokens", ["model", "kind"], registry=r)
        self._cost = Counter(
            "parley_cost", "Cost in the models' price currency", ["model"], registry=r
        )
        self._streams = Gauge("parley_active_streams", "Open streamed responses", registry=r)
        self._limited = Counter(
            "parley_rate_limited", "Requests refused by a limit", ["limit"], registry=r
        )
        # Label sets are few (routes x statuses, models x outcomes) and stay: cache children.
        self._http_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._chat_children: dict[tuple[str, str], _ChatChildren] = {}
        self._circuit = Gauge(
            "parley_circuit_state",
            "Circuit per model: 0 closed, 1 half-open, 2 open",
            ["model"],
            registry=r,
        )

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._http_children.get(key)
        if children is None:  # labels() costs more than the update: resolve each set once
            children = (
                self._http.labels(method, route, str(status)),
                self._http_latency.labels(method, route),
            )
            self._http_children[key] = children
        count, latency = children
        count.inc()
        latency.observe(seconds)

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
        key = (model, outcome)
        children = self._chat_children.get(key)
        if children is None:
            children = _ChatChildren(
                self._chat.labels(model, outcome),
                self._chat_latency.labels(model),
                self._ttft.labels(model),
                self._tokens.labels(model, "prompt"),
                self._tokens.labels(model, "completion"),
                self._cost.labels(model),
            )
            self._chat_children[key] = children
        children.requests.inc()
        children.latency.observe(latency_seconds)
        if ttft_seconds is not None:
            children.ttft.observe(ttft_seconds)
        children.prompt_tokens.inc(prompt_tokens)
        children.completion_tokens.inc(completion_tokens)
        if cost:
            children.cost.inc(float(cost))

    def stream_opened(self) -> None:
        self._streams.inc()

    def stream_closed(self) -> None:
        self._streams.dec()

    def limited(self, limit: str) -> None:
        self._limited.labels(limit).inc()

    def circuit_state(self, model: str, state: str) -> None:
        self._circuit.labels(model).set(CIRCUIT_VALUES.get(state, 0))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
