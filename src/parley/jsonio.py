"""JSON for the hot path. Encoding: orjson (about 20 times the standard library's speed on a
request body), falling back to the standard library for what orjson refuses (integers
beyond 64 bits, non-string keys, subclasses it does not know), so the output is the same JSON
whichever ran: compact, UTF-8, no ASCII escaping (a float's exponent may be written `1e-7`
or `1e-07`). orjson writes NaN and infinities as `null` (valid JSON) where the standard
library would write invalid tokens.

Decoding with orjson (`loads_answer`) is for model providers' answers only: orjson reads an
integer beyond 64 bits as a float, which would change a caller's own JSON (request bodies
stay on the standard library), while Parley reads nothing of that size in an answer."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        try:
            return text.encode()
        except UnicodeEncodeError:
            # A lone surrogate (one can only be inside a string) has no UTF-8: escaped as
            # the standard library's ASCII mode would, the rest stays UTF-8.
            return _SURROGATE.sub(_escape, text).encode()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def loads_answer(data: bytes | str) -> Any:
    """A model provider's JSON answer or stream event. What orjson refuses (NaN, lone
    surrogates, other encodings than UTF-8) is read by the standard library, so the same
    documents parse as before; its `ValueError` says the answer is malformed."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def log_dumps(value: Any, **kwargs: Any) -> bytes:
    """structlog's serializer: `default` (its fallback for unknown types) is passed on."""
    try:
        return orjson.dumps(value, **kwargs)
    except TypeError:
        return json.dumps(value, default=repr, ensure_ascii=False).encode()
