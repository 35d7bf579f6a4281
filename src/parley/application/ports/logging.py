"""Structured logging, as the application needs it (structlog loggers fit it)."""

from __future__ import annotations

from typing import Any, Protocol


class Logger(Protocol):
    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...

    def error(self, event: str, **fields: Any) -> Any: ...

    def exception(self, event: str, **fields: Any) -> Any: ...
