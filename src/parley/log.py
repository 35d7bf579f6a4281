"""Structured JSON logs (structlog), with the request id, and never a secret."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import MutableMapping
from typing import Any

import structlog

from parley.jsonio import log_dumps

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "token",
        "access_token",
        "refresh_token",
        "authorization",
        "api_key",
        "x-api-key",
        "key",
        "secret",
        "secret_key",
        "cookie",
    }
)


#: Names seen and found not sensitive (a log's names are few: its call sites' keywords).
_PLAIN_KEYS: set[str] = {"event", "level", "timestamp", "request_id"}
_PLAIN_KEYS_MAX = 4096


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # Only names not already known to be plain are looked at (a set difference, in C): a
    # sensitive name is never learnt as plain, so it is checked, and redacted, every time.
    for key in event.keys() - _PLAIN_KEYS:
        if key.lower() in SENSITIVE_KEYS:
            event[key] = "[redacted]"
        elif len(_PLAIN_KEYS) < _PLAIN_KEYS_MAX:
            _PLAIN_KEYS.add(key)
    return event


class UtcTimestamper:
    """A structlog processor: `timestamp` in ISO 8601, UTC, with microseconds
    ("2026-11-26T09:33:09.690462Z"), as `TimeStamper(fmt="iso", utc=True)` writes it but
    always with the fraction (datetime's isoformat leaves it out when it is zero), at a
    fifth of its cost: every line is stamped, so the date and time of day are formatted once
    a second and only the fraction per line."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(
        self, _: Any, __: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        second, micros = divmod(time.time_ns() // 1000, 1_000_000)
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        event["timestamp"] = f"{self._prefix}.{micros:06d}Z"
        return event


def configure_logging(level: str = "info", json_output: bool = True) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        UtcTimestamper(),
        _redact,
        structlog.processors.format_exc_info,
    ]
    renderer: Any
    factory: Any
    if json_output:  # orjson, written as bytes: structlog's fastest configuration
        renderer = structlog.processors.JSONRenderer(serializer=log_dumps)
        factory = structlog.BytesLoggerFactory(sys.stderr.buffer)
    else:
        renderer = structlog.dev.ConsoleRenderer()
        factory = structlog.PrintLoggerFactory(sys.stderr)
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
