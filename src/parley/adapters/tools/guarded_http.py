"""HTTP requests for tools through the outbound guard (aiohttp): each hop's host is vetted,
the connection is pinned to the vetted addresses, redirects are followed by hand."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from parley.adapters.tools.outbound import OutboundGuard
from parley.domain.errors import OutboundAddressRefused

MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    body: bytes
    truncated: bool
    content_type: str


class _PinnedResolver(AbstractResolver):
    """Answers only for the one vetted host, with the addresses the guard vetted."""

    def __init__(self, host: str, addresses: list[str]) -> None:
        self._host = host
        self._addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host != self._host:
            raise OSError(f"{host} was not vetted")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self._addresses
        ]

    async def close(self) -> None:
        return None


class GuardedHttp:
    def __init__(self, guard: OutboundGuard) -> None:
        self._guard = guard

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        timeout_seconds: float,
        max_bytes: int,
        allowed_hosts: Iterable[str] = (),
    ) -> Fetched:
        """Raises `OutboundAddressRefused` for a refused hop or too many redirects, and
        aiohttp's `ClientError` / `TimeoutError` for transport failures."""
        allowed = list(allowed_hosts)
        target = URL(url)
        origin = target.origin()
        send_headers = dict(headers)
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        for _ in range(MAX_REDIRECTS + 1):
            if target.scheme not in {"http", "https"} or not target.host:
                raise OutboundAddressRefused("Only http and https URLs can be called.")
            port = target.port or (443 if target.scheme == "https" else 80)
            addresses = await self._guard.vet(target.host, port, allowed)
            connector = aiohttp.TCPConnector(
                resolver=_PinnedResolver(target.host, addresses),
                use_dns_cache=False,
                force_close=True,
            )
            async with (
                aiohttp.ClientSession(
                    connector=connector, timeout=timeout, trust_env=False
                ) as session,
                session.request(
                    method,
                    target,
                    headers=send_headers,
                    json=json_body,
                    params=params,
                    allow_redirects=False,
                ) as response,
            ):
                location = response.headers.get("Location")
                if response.status in REDIRECT_STATUSES and location:
                    target = target.join(URL(location))
                    if response.status == 303 or (
                        response.status in {301, 302} and method != "GET"
                    ):
                        method, json_body = "GET", None
                    params = None
                    if target.origin() != origin:
                        send_headers = {}  # never carry the tool's secrets to another origin
                    continue
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        break
                return Fetched(
                    status=response.status,
                    body=bytes(body[:max_bytes]),
                    truncated=len(body) > max_bytes,
                    content_type=response.headers.get("Content-Type", ""),
                )
        raise OutboundAddressRefused(f"More than {MAX_REDIRECTS} redirects.")
