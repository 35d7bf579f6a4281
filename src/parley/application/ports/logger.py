"""A structured logger, for use cases that run in the background where no caller sees errors."""

from __future__ import annotations

from typing import Any, Protocol


class Logger(Protocol):
    """Events are short snake_case names; fields are key/value context (never secrets)."""

    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...

    def error(self, event: str, **fields: Any) -> Any: ...

    def exception(self, event: str, **fields: Any) -> Any:
        """Like `warning`, with the exception being handled attached."""
        ...


class SilentLogger:
    def info(self, event: str, **fields: Any) -> None:
        return None

    def warning(self, event: str, **fields: Any) -> None:
        return None

    def error(self, event: str, **fields: Any) -> None:
        return None

    def exception(self, event: str, **fields: Any) -> None:
        return None
