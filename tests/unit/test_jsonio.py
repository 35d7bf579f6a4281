"""`jsonio.dumps`: orjson's speed, the standard library's coverage, one output format."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from parley import jsonio


@pytest.mark.parametrize(
    "value",
    [
        {"model": "m", "messages": [{"role": "user", "content": 'ü "€" 😀\n\u2028'}]},
        [1, 2.5, -0.0, True, None, "", {}],
    ],
)
def test_the_output_is_the_standard_librarys_compact_utf8(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert jsonio.dumps(value) == expected


def test_floats_keep_their_value_though_exponents_may_be_written_differently() -> None:
    value = {"nested": {"a": [{"b": 1e-7, "c": 0.1 + 0.2, "d": 1e300}]}}
    assert json.loads(jsonio.dumps(value)) == value


@pytest.mark.parametrize(
    "value",
    [{"big": 2**70}, {1: "non-string key"}, [-(2**64)]],
)
def test_what_orjson_refuses_falls_back_to_the_standard_library(value: Any) -> None:
    assert jsonio.dumps(value) == json.dumps(value, separators=(",", ":")).encode()


def test_a_lone_surrogate_is_escaped_not_an_error() -> None:
    # orjson refuses it and it has no UTF-8 form: the standard library's escape is kept.
    value = {"text": "half a pair \ud83d here", "big": 2**70}
    assert jsonio.dumps(value) == json.dumps(value, separators=(",", ":")).encode()
    assert json.loads(jsonio.dumps({"text": "\udc00"})) == {"text": "\udc00"}
    mixed = {"text": "ü \ud800 😀"}
    assert jsonio.dumps(mixed) == '{"text":"ü \\ud800 😀"}'.encode()
    assert json.loads(jsonio.dumps(mixed)) == mixed


def test_non_finite_floats_become_null_never_invalid_json() -> None:
    assert json.loads(jsonio.dumps([math.nan, math.inf])) == [None, None]


def test_the_log_serializer_renders_unknown_objects_with_the_fallback() -> None:
    class Odd:
        def __repr__(self) -> str:
            return "<odd>"

    assert json.loads(jsonio.log_dumps({"x": Odd()}, default=repr)) == {"x": "<odd>"}
    assert json.loads(jsonio.log_dumps({"big": 2**70})) == {"big": 2**70}


@pytest.mark.parametrize(
    "document",
    [
        b'{"choices": [{"message": {"content": "h\\u00e9llo \\ud83d\\ude00"}}], "usage": {"n": 3}}',
        '{"text": "caf\u00e9"}'.encode(),
        b'{"odd": NaN, "big": -Infinity}',  # orjson refuses these; the standard library reads them
        b'{"lone": "\\ud800"}',  # a lone surrogate: the same
        '{"wide": "utf-16"}'.encode("utf-16"),
        "[1, 2.5, null, true]",
    ],
)
def test_an_answer_reads_as_the_standard_library_reads_it(document: bytes | str) -> None:
    expected = json.loads(document)
    got = jsonio.loads_answer(document)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


@pytest.mark.parametrize("document", [b'{"cut": ', b"", b"\xff\xfe\x00", "{'single': 1}"])
def test_a_malformed_answer_is_a_value_error(document: bytes | str) -> None:
    with pytest.raises(ValueError):
        jsonio.loads_answer(document)
