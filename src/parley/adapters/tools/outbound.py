"""The outbound guard for tool calls: no private, loopback, link-local or metadata address
is reached unless an administrator allow-listed the host.

The check runs on the addresses a host resolves to (so numeric forms such as `2130706433`,
`0x7f.1` or `017700000001`, and IPv4-mapped IPv6, are judged by what they mean), and the
connection is then made to exactly those vetted addresses, so a second DNS answer cannot
swap in another one (DNS rebinding). Callers vet again on every redirect hop."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence

from parley.domain.errors import OutboundAddressRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[Sequence[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether `address` is a globally routable unicast address (CGNAT, documentation,
    benchmarking and metadata ranges are not)."""
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
        and address not in _METADATA
    )


async def system_resolve(host: str, port: int) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise OutboundAddressRefused(f"The host {host!r} cannot be resolved.") from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


class OutboundGuard:
    """Resolves and vets hosts. `allowed_hosts` (the operator's setting) and the per-call
    extra hosts skip the address check for those exact host names only."""

    def __init__(self, allowed_hosts: Iterable[str] = (), resolve: Resolve = system_resolve):
        self._allowed = frozenset(_normal_host(host) for host in allowed_hosts if host.strip())
        self._resolve = resolve

    def allows(self, host: str, extra_allowed: Iterable[str] = ()) -> bool:
        normal = _normal_host(host)
        return normal in self._allowed or normal in {_normal_host(h) for h in extra_allowed}

    async def vet(self, host: str, port: int, extra_allowed: Iterable[str] = ()) -> list[str]:
        """The addresses to connect to for `host`. Raises `OutboundAddressRefused` when it
        does not resolve, or when any address it resolves to is not public (one bad answer
        among good ones is enough: the connection could land on it)."""
        if not host:
            raise OutboundAddressRefused("The URL has no host.")
        addresses = [
            ipaddress.ip_address(address.split("%", 1)[0])
            for address in await self._resolve(_normal_host(host), port)
        ]
        if not addresses:
            raise OutboundAddressRefused(f"The host {host!r} cannot be resolved.")
        if not self.allows(host, extra_allowed):
            for address in addresses:
                if not is_public(address):
                    raise OutboundAddressRefused(
                        f"The host {host!r} resolves to a private, loopback, link-local or "
                        "metadata address; an administrator must allow-list it."
                    )
        return [str(address) for address in addresses]
