"""`cheap_init` keeps a frozen dataclass's behaviour while replacing its `__init__`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from parley.domain.values import cheap_init


@cheap_init
@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    count: int = 1
    tags: list[str] = field(default_factory=list)


@cheap_init
@dataclass(frozen=True, slots=True)
class Checked:
    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low above high")


def test_fields_are_set_by_position_keyword_and_default() -> None:
    assert Sample("a") == Sample(name="a", count=1, tags=[])
    sample = Sample("b", 3, ["x"])
    assert (sample.name, sample.count, sample.tags) == ("b", 3, ["x"])
    assert Sample("c", tags=["y"]).count == 1


def test_a_default_factory_runs_once_per_instance() -> None:
    first, second = Sample("a"), Sample("a")
    assert first.tags == [] and first.tags is not second.tags


def test_equality_hash_repr_and_replace_are_the_dataclass_ones() -> None:
    sample = Sample("a", 2, [])
    assert repr(sample) == "Sample(name='a', count=2, tags=[])"
    assert hash(Checked(1, 2)) == hash(Checked(1, 2))
    assert dataclasses.replace(sample, count=5) == Sample("a", 5, [])
    assert Sample.__init__.__qualname__ == "Sample.__init__"


def test_instances_stay_frozen_and_slotted() -> None:
    sample = Sample("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.name = "b"  # type: ignore[misc]
    assert not hasattr(sample, "__dict__")


def test_wrong_arguments_fail_as_a_function_call_does() -> None:
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample("a", 1, [], "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample("a", colour="red")  # type: ignore[call-arg]


def test_post_init_still_runs() -> None:
    assert Checked(1, 2).high == 2
    with pytest.raises(ValueError, match="low above high"):
        Checked(3, 2)


def test_a_class_it_cannot_serve_is_refused() -> None:
    @dataclass(slots=True)
    class Mutable:
        x: int

    @dataclass(frozen=True)
    class Unslotted:
        x: int

    @dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordOnly:
        x: int

    for cls in (Mutable, Unslotted, KeywordOnly):
        with pytest.raises(TypeError):
            cheap_init(cls)
