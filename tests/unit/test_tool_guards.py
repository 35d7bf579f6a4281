"""The calculator's parser and the outbound address guard, without a server."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from parley.adapters.tools.builtin.calculator import CalculationError, calculate
from parley.adapters.tools.outbound import OutboundGuard, system_resolve
from parley.domain.errors import OutboundAddressRefused


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("-2 ** 2", -4),
        ("2 ^ 10", 1024),
        ("7 % 4 + 7 // 2", 6),
        ("sqrt(16) + abs(-1)", 5.0),
        ("round(pi, 2)", 3.14),
        ("max(1, 5, 3)", 5),
    ],
)
def test_the_calculator_computes(expression: str, value: float) -> None:
    assert calculate(expression) == value


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os')",
        "open('/etc/passwd')",
        "(1).__class__",
        "[1, 2]",
        "x + 1",
        "lambda: 1",
        "9 ** 9 ** 9",
        "10 ** 100000",
        "1 / 0",
        "sqrt(-1)",
        "1 +",
        "1" * 600,
        "True + 1",
    ],
)
def test_the_calculator_refuses_anything_else(expression: str) -> None:
    with pytest.raises(CalculationError):
        calculate(expression)


def fixed(*addresses: str):
    async def resolve(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "fd00:ec2::254",
        "fe80::1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ],
)
async def test_private_and_special_addresses_are_refused(address: str) -> None:
    with pytest.raises(OutboundAddressRefused):
        await OutboundGuard(resolve=fixed(address)).vet("example.com", 80)


async def test_one_private_answer_among_public_ones_is_enough_to_refuse() -> None:
    guard = OutboundGuard(resolve=fixed("93.184.216.34", "127.0.0.1"))
    with pytest.raises(OutboundAddressRefused):
        await guard.vet("example.com", 80)
    assert await OutboundGuard(resolve=fixed("93.184.216.34")).vet("example.com", 80) == [
        "93.184.216.34"
    ]


async def test_allow_listed_hosts_skip_the_check_for_that_host_only() -> None:
    guard = OutboundGuard(["internal.example"], resolve=fixed("10.0.0.5"))
    assert await guard.vet("Internal.Example.", 80) == ["10.0.0.5"]
    with pytest.raises(OutboundAddressRefused):
        await guard.vet("other.example", 80)
    assert await guard.vet("other.example", 80, ["other.example"]) == ["10.0.0.5"]


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "017700000001", "127.1", "::ffff:7f00:1"])
async def test_numeric_spellings_of_loopback_are_judged_after_resolution(host: str) -> None:
    with pytest.raises(OutboundAddressRefused):
        await OutboundGuard(resolve=system_resolve).vet(host, 80)
