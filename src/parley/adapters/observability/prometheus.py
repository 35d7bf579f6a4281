"""Prometheus metrics, in a registry of the container's own (not the global one), so several
apps in one process (tests) never collide. With several workers each process exposes its own
numbers; scrape each, or run one worker per container."""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}
_BUCKET_NAMES = (*(floatToGoString(bound) for bound in LATENCY_BUCKETS), "+Inf")  # type: ignore[no-untyped-call]


class _Series:
    """One label set's values: a counter's total, or a histogram's per-bucket counts and sum
    (`counts[i]`: observations in bucket i alone; the last is +Inf)."""

    __slots__ = ("counts", "created", "total")

    def __init__(self, histogram: bool = False) -> None:
        self.total = 0.0
        self.counts = [0] * len(_BUCKET_NAMES) if histogram else []
        self.created = time.time()

    def observe(self, value: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, value)] += 1
        self.total += value


class _HttpSeries:
    __slots__ = ("latency", "requests")

    def __init__(self, latency: _Series) -> None:
        self.requests = _Series()
        self.latency = latency


class _ChatSeries:
    __slots__ = ("completion_tokens", "cost", "latency", "prompt_tokens", "requests", "ttft")

    def __init__(self, latency: _Series, ttft: _Series, prompt: _Series, completion: _Series,
                 cost: _Series) -> None:  # fmt: skip
        self.requests = _Series()
        self.latency = latency
        self.ttft = ttft
        self.prompt_tokens = prompt
        self.completion_tokens = completion
        self.cost = cost


class RequestMetrics:
    """The metrics every request updates (HTTP and chat), as a prometheus_client custom
    collector: plain numbers updated in place, turned into metric families at scrape time.
    prometheus_client's own Counter and Histogram take a lock per update (a histogram's
    observation is three of them), ~5 % of a request's instructions; the event loop is the
    only writer here. The exposition is the same as theirs (tests/unit/test_metrics.py)."""

    def __init__(self) -> None:
        self.http: dict[tuple[str, str, int], _HttpSeries] = {}
        self.http_latency: dict[tuple[str, str], _Series] = {}
        self.chat: dict[tuple[str, str], _ChatSeries] = {}
        self.chat_latency: dict[str, _Series] = {}
        self.ttft: dict[str, _Series] = {}
        self.tokens: dict[tuple[str, str], _Series] = {}
        self.cost: dict[str, _Series] = {}

    def http_series(self, method: str, route: str, status: int) -> _HttpSeries:
        latency = self.http_latency.get((method, route))
        if latency is None:
            latency = self.http_latency[(method, route)] = _Series(histogram=True)
        series = self.http[(method, route, status)] = _HttpSeries(latency)
        return series

    def chat_series(self, model: str, outcome: str) -> _ChatSeries:
        def one(table: dict[Any, _Series], key: Any, histogram: bool = False) -> _Series:
            found = table.get(key)
            if found is None:
                found = table[key] = _Series(histogram)
            return found

        series = self.chat[(model, outcome)] = _ChatSeries(
            one(self.chat_latency, model, histogram=True),
            one(self.ttft, model, histogram=True),
            one(self.tokens, (model, "prompt")),
            one(self.tokens, (model, "completion")),
            one(self.cost, model),
        )
        return series

    def describe(self) -> Iterator[Metric]:
        return self._families()

    def collect(self) -> Iterator[Metric]:
        return self._families()

    def _families(self) -> Iterator[Metric]:
        http = CounterMetricFamily(
            "parley_http_requests", "HTTP requests", labels=["method", "route", "status"]
        )
        for (method, route, status), http_series in self.http.items():
            _count(http, [method, route, str(status)], http_series.requests)
        yield http
        yield _histograms(
            "parley_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            {(method, route): series for (method, route), series in self.http_latency.items()},
        )
        chat = CounterMetricFamily(
            "parley_chat_requests",
            "Chat requests by model and outcome",
            labels=["model", "outcome"],
        )
        for (model, outcome), chat_series in self.chat.items():
            _count(chat, [model, outcome], chat_series.requests)
        yield chat
        yield _histograms(
            "parley_chat_duration_seconds",
            "Chat request duration",
            ["model"],
            {(model,): series for model, series in self.chat_latency.items()},
        )
        yield _histograms(
            "parley_chat_time_to_first_token_seconds",
            "Time to the first token",
            ["model"],
            {(model,): series for model, series in self.ttft.items()},
        )
        tokens = CounterMetricFamily("parley_tokens", "Tokens", labels=["model", "kind"])
        for (model, kind), series in self.tokens.items():
            _count(tokens, [model, kind], series)
        yield tokens
        cost = CounterMetricFamily(
            "parley_cost", "Cost in the models' price currency", labels=["model"]
        )
        for model, series in self.cost.items():
            _count(cost, [model], series)
        yield cost


def _count(family: CounterMetricFamily, labels: list[str], series: _Series) -> None:
    family.add_metric(labels, series.total, created=series.created)


def _histograms(
    name: str, documentation: str, label_names: list[str], series: dict[tuple[str, ...], _Series]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=label_names)
    for labels, one in series.items():
        cumulative, buckets = 0, []
        for bucket, count in zip(_BUCKET_NAMES, one.counts, strict=True):
            cumulative += count
            buckets.append((bucket, float(cumulative)))
        family.add_metric(list(labels), buckets, one.total)
        family.add_sample(
            name + "_created", dict(zip(label_names, labels, strict=True)), one.created
        )
    return family


class PrometheusMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._requests = RequestMetrics()
        r.register(self._requests)
        self._streams = Gauge("parley_active_streams", "Open streamed responses", registry=r)
        self._limited = Counter(
            "parley_rate_limited", "Requests refused by a limit", ["limit"], registry=r
        )
        self._circuit = Gauge(
            "parley_circuit_state",
            "Circuit per model: 0 closed, 1 half-open, 2 open",
            ["model"],
            registry=r,
        )

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._requests.http.get((method, route, status))
        if series is None:
            series = self._requests.http_series(method, route, status)
        series.requests.total += 1
        series.latency.observe(seconds)

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
        series = self._requests.chat.get((model, outcome))
        if series is None:
            series = self._requests.chat_series(model, outcome)
        series.requests.total += 1
        series.latency.observe(latency_seconds)
        if ttft_seconds is not None:
            series.ttft.observe(ttft_seconds)
        series.prompt_tokens.total += prompt_tokens
        series.completion_tokens.total += completion_tokens
        if cost:
            series.cost.total += float(cost)

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
