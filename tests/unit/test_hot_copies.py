"""The hand-built copies on the hot path (`dataclasses.replace` costs several times more)
must keep every field, including any added later."""

from __future__ import annotations

import dataclasses
from typing import Any

from parley.application.chat.requests import GenerationOptions
from parley.domain.chat import ToolSpec
from parley.domain.circuit import BreakerSettings, BreakerState, Circuit, on_success


def _non_defaults(cls: Any, values: dict[str, Any]) -> Any:
    """An instance with a non-default value in every field: fails when a field is added
    without a value here (so the copy below is checked for it too)."""
    assert {f.name for f in dataclasses.fields(cls)} == set(values)
    instance = cls(**values)
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        assert getattr(instance, f.name) != default, f.name
    return instance


def test_with_max_tokens_keeps_every_other_option() -> None:
    options = _non_defaults(
        GenerationOptions,
        {
            "max_tokens": 10,
            "temperature": 0.3,
            "top_p": 0.9,
            "stop": ("END",),
            "tools": (ToolSpec("lookup", "Looks up", {"type": "object"}),),
            "tool_choice": "auto",
            "extra": {"seed": 7},
        },
    )
    assert options.with_max_tokens(99) == dataclasses.replace(options, max_tokens=99)
    assert options.with_max_tokens(None) == dataclasses.replace(options, max_tokens=None)


def test_a_success_in_a_closed_circuit_keeps_the_rest_of_its_state() -> None:
    state = _non_defaults(
        BreakerState,
        {
            "circuit": Circuit.HALF_OPEN,  # only for the check of non-defaults
            "consecutive": 2,
            "window_start": 100.0,
            "window_total": 7,
            "window_failures": 2,
            "opened_at": 50.0,
            "probe_until": 60.0,
        },
    )
    closed = dataclasses.replace(state, circuit=Circuit.CLOSED)
    after = on_success(closed, now=110.0, settings=BreakerSettings(window_seconds=60.0))
    assert after == dataclasses.replace(closed, consecutive=0, window_total=8)
