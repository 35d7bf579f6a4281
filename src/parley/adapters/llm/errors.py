"""The one place where upstream HTTP and transport failures become `ProviderError`s.

Details are short and safe to show a caller: an HTTP status and, at most, the upstream's
machine-readable error code. Never the API key, the URL (it may carry credentials) or the
raw upstream body. Exceptions are raised `from None` for the same reason: HTTP clients'
exception texts include request URLs, and tracebacks end up in logs.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from parley.domain.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderRejected,
    ProviderStreamBroken,
    ProviderTimeout,
    ProviderUnavailable,
)

_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_MAX_RETRY_AFTER = 24 * 3600.0


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`."""
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            return _clamp(float(millis) / 1000.0)
        except ValueError:
            pass
    value = _header(headers, "retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return _clamp(float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return _clamp(when.timestamp() - time.time())


def upstream_error_code(body: bytes) -> str | None:
    """The upstream's error `code` or `type` if the body is a JSON error and it looks safe."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return error_code_of(payload)


def error_code_of(payload: Any) -> str | None:
    """Pick a safe error code out of an OpenAI (`{"error": {...}}`) or Anthropic error."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error", payload)
    if not isinstance(error, dict):
        return None
    for key in ("code", "type"):
        value = error.get(key)
        if isinstance(value, str) and _SAFE_CODE.match(value):
            return value
    return None


def error_for_status(status: int, headers: Mapping[str, str], body: bytes) -> ProviderError:
    """Translate a non-2xx upstream answer into the matching `ProviderError`."""
    code = upstream_error_code(body)
    suffix = f" ({code})" if code else ""
    if status in (401, 403):
        return ProviderAuthFailed(
            f"The model provider refused the configured credentials (HTTP {status}{suffix}).",
            status=status,
        )
    if status == 429 or status >= 500:
        return ProviderUnavailable(
            f"The model provider is unavailable (HTTP {status}{suffix}).",
            status=status,
            retry_after=parse_retry_after(headers),
        )
    if status == 408:
        return ProviderTimeout(f"The model provider timed out (HTTP 408{suffix}).", status=status)
    return ProviderRejected(
        f"The model provider rejected the request (HTTP {status}{suffix}).", status=status
    )


def error_for_stream_event(code: str | None, *, started: bool) -> ProviderError:
    """An error the upstream reported inside a 200 stream.

    Before anything was yielded the call may still be retried elsewhere, so it counts as
    unavailable; once output has been yielded it is a broken stream.
    """
    suffix = f" ({code})" if code else ""
    if started:
        return ProviderStreamBroken(f"The model provider's stream failed{suffix}.")
    return ProviderUnavailable(f"The model provider failed{suffix}.")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _clamp(seconds: float) -> float | None:
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)
