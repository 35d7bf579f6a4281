"""The per-request metrics (a custom collector of plain numbers) expose exactly what
prometheus_client's own Counter and Histogram would for the same updates."""

from __future__ import annotations

import random
import re
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from parley.adapters.observability.prometheus import LATENCY_BUCKETS, PrometheusMetrics

_CREATED = re.compile(rb"^(\S+_created(?:\{[^}]*\})?) \S+$", re.MULTILINE)


class Reference:
    """The same metrics as prometheus_client's own classes."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self.http = Counter(
            "parley_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.http_latency = Histogram(
            "parley_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.chat = Counter(
            "parley_chat_requests",
            "Chat requests by model and outcome",
            ["model", "outcome"],
            registry=r,
        )
        self.chat_latency = Histogram(
            "parley_chat_duration_seconds",
            "Chat request duration",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "parley_chat_time_to_first_token_seconds",
            "Time to the first token",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter("parley_tokens", "Tokens", ["model", "kind"], registry=r)
        self.cost = Counter(
            "parley_cost", "Cost in the models' price currency", ["model"], registry=r
        )

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(seconds)

    def chat_finished(
        self,
        model: str,
        outcome: str,
        latency: float,
        ttft: float | None,
        prompt: int,
        completion: int,
        cost: Decimal,
    ) -> None:
        # Every series of a (model, outcome) exists from its first request, as it always has.
        requests, latency_series, ttft_series = (
            self.chat.labels(model, outcome),
            self.chat_latency.labels(model),
            self.ttft.labels(model),
        )
        prompt_series, completion_series = (
            self.tokens.labels(model, "prompt"),
            self.tokens.labels(model, "completion"),
        )
        cost_series = self.cost.labels(model)
        requests.inc()
        latency_series.observe(latency)
        if ttft is not None:
            ttft_series.observe(ttft)
        prompt_series.inc(prompt)
        completion_series.inc(completion)
        if cost:
            cost_series.inc(float(cost))


def exposition(registry: CollectorRegistry, names: tuple[bytes, ...]) -> list[bytes]:
    """The lines of these metric families, creation times blanked (they are clock readings)."""
    text = _CREATED.sub(rb"\1 <created>", generate_latest(registry))
    return [line for line in text.splitlines() if any(name in line for name in names)]


def test_the_exposition_is_prometheus_clients_own() -> None:
    rng = random.Random(8)
    ours, reference = PrometheusMetrics(), Reference()
    # Bucket bounds themselves (le is inclusive), around them, beyond the last, zero.
    values = [*LATENCY_BUCKETS, 0.0, 0.0049999, 0.0050001, 119.9, 120.0001, 500.0]
    for _ in range(3000):
        seconds = rng.choice(values) if rng.random() < 0.3 else rng.expovariate(5)
        route = rng.choice(["/v1/chat/completions", "/v2/chat/stream", "unmatched"])
        status = rng.choice([200, 200, 401, 429])
        ours.request_finished("POST", route, status, seconds)
        reference.request_finished("POST", route, status, seconds)
        model, outcome = rng.choice(["echo", "gpt-x"]), rng.choice(["success", "error"])
        ttft = None if rng.random() < 0.2 else seconds / 2
        prompt, completion = rng.randrange(2000), rng.randrange(500)
        cost = Decimal(rng.randrange(0, 3)) / 1000
        args = (model, outcome, seconds, ttft, prompt, completion, cost)
        ours.chat_finished(*args)
        reference.chat_finished(*args)

    names = (b"parley_http_", b"parley_chat_", b"parley_tokens", b"parley_cost")
    expected = exposition(reference.registry, names)
    assert len(expected) > 150
    assert exposition(ours.registry, names) == expected


def test_a_new_label_set_is_created_when_first_seen_and_kept() -> None:
    metrics = PrometheusMetrics()
    metrics.request_finished("GET", "/healthz", 200, 0.001)
    metrics.request_finished("GET", "/healthz", 503, 0.002)
    text = metrics.render()[0].decode()
    assert 'parley_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'parley_http_requests_total{method="GET",route="/healthz",status="503"} 1.0' in text
    assert 'parley_http_request_duration_seconds_count{method="GET",route="/healthz"} 2.0' in text
    assert not [line for line in text.splitlines() if line.startswith("parley_chat_")]
