"""The guarded HTTP transport MCP calls use: every connection the httpx client opens goes
through the outbound guard. Imported on first MCP use (httpx is not needed otherwise)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
import httpx

from parley.adapters.tools.outbound import OutboundGuard


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the guard vetted. TLS still
    verifies (and sends SNI for) the original host name: httpcore passes it to start_tls."""

    def __init__(self, guard: OutboundGuard, allowed_hosts: Iterable[str]) -> None:
        self._guard = guard
        self._allowed = list(allowed_hosts)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.vet(host, port, self._allowed)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure or httpcore.ConnectError(f"Cannot connect to {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("Unix sockets are not reachable from tools.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(
    guard: OutboundGuard,
    allowed_hosts: Iterable[str],
    headers: Mapping[str, str],
    timeout_seconds: float,
) -> httpx.AsyncClient:
    """An httpx client whose every connection goes through the guard. Redirects are
    followed (the SDK keeps them on the server's origin), each hop's connection re-vetted."""
    transport = httpx.AsyncHTTPTransport()
    # httpx does not take a network backend; its pool does. Same pool, guarded sockets.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        network_backend=GuardedNetworkBackend(guard, allowed_hosts),
    )
    return httpx.AsyncClient(
        headers=dict(headers),
        timeout=httpx.Timeout(timeout_seconds, read=max(timeout_seconds, 60.0)),
        transport=transport,
        trust_env=False,
        follow_redirects=True,
    )
