"""The pooled aiohttp client every HTTP provider adapter owns, with Parley's timeout rules.

`PooledHttpClient.post` opens one upstream call and hands back the response once its
headers arrived with a 2xx status; anything else is already a `ProviderError`. Reads go
through `read_chunk`, which applies the idle and total deadlines. When the caller leaves
the `async with` before the body was read to the end (an exception, `aclose()` of a
generator, task cancellation) the connection is *closed*, not returned to the pool, so
the upstream sees the client go away and stops generating.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from yarl import URL

from parley.adapters.llm.errors import error_for_status
from parley.domain.errors import ProviderStreamBroken, ProviderTimeout, ProviderUnavailable
from parley.domain.models import Timeouts

#: A streamed answer holds its upstream connection for its whole life, so the pool must be
#: at least as large as the number of streams a worker keeps open (thousands; the
#: concurrent-stream limits bound them). Per host unlimited (one upstream is common).
CONNECTION_LIMIT = 20_000
KEEPALIVE_SECONDS = 30.0
_ERROR_BODY_LIMIT = 64 * 1024


class UpstreamCall:
    """One open upstream response plus the deadlines that bound reading it."""

    def __init__(self, response: aiohttp.ClientResponse, timeouts: Timeouts, deadline: float):
        self.response = response
        self._timeouts = timeouts
        self._deadline = deadline
        self._first_read = True

    async def read_chunk(self) -> bytes:
        """The next bytes of the body (b"" at its end), within the first-token, idle and
        total deadlines. Raises `ProviderTimeout` or `ProviderStreamBroken`."""
        limit = self._timeouts.first_token if self._first_read else self._timeouts.idle
        self._first_read = False
        loop = asyncio.get_running_loop()
        remaining = self._deadline - loop.time()
        try:
            async with asyncio.timeout(max(0.0, min(limit, remaining))):
                return await self.response.content.readany()
        except TimeoutError:
            raise ProviderTimeout(
                "The model provider stopped sending before it finished.", status=None
            ) from None
        except (aiohttp.ClientError, ConnectionError):
            raise ProviderStreamBroken("The model provider's connection broke off.") from None

    async def drain(self, grace: float = 1.0) -> None:
        """Read what is left of a finished body (the chunked terminator, usually already
        received) so the connection can go back to the pool; give up quietly after
        `grace` seconds, in which case leaving the `async with` closes it instead."""
        try:
            async with asyncio.timeout(grace):
                while await self.response.content.readany():
                    pass
        except (TimeoutError, aiohttp.ClientError, ConnectionError):
            return

    async def read_json(self) -> Any:
        """Read the whole body (within the deadlines) and parse it as JSON."""
        parts: list[bytes] = []
        while chunk := await self.read_chunk():
            parts.append(chunk)
        try:
            return json.loads(b"".join(parts))
        except ValueError:
            raise ProviderStreamBroken("The model provider sent a malformed answer.") from None


class PooledHttpClient:
    """One `aiohttp.ClientSession` with a large keep-alive pool, started and closed by its
    owner (`start()` in the app's lifespan, `aclose()` on shutdown)."""

    def __init__(self, *, user_agent: str = "parley") -> None:
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Create the session and its connector. Idempotent."""
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(
            limit=CONNECTION_LIMIT,
            limit_per_host=0,
            keepalive_timeout=KEEPALIVE_SECONDS,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self._user_agent},
            timeout=aiohttp.ClientTimeout(total=None),
            # Streams are read as they arrive; JSON goes through the stdlib parser.
            auto_decompress=True,
            raise_for_status=False,
            trust_env=False,
        )

    async def aclose(self) -> None:
        """Close the session and every pooled connection. Idempotent."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    @asynccontextmanager
    async def post(
        self,
        url: str,
        *,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
        timeouts: Timeouts,
    ) -> AsyncIterator[UpstreamCall]:
        """POST `body` as JSON and yield the 2xx response as an `UpstreamCall`.

        Raises `ProviderUnavailable` (connect failure, 429, 5xx), `ProviderTimeout`
        (connect or first-token deadline), `ProviderAuthFailed` or `ProviderRejected`.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("PooledHttpClient.start() was not called (or aclose() was)")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeouts.total
        target, basic_auth = _split_credentials(url)
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        request_headers = {"Content-Type": "application/json", **headers}
        if basic_auth and not any(k.lower() == "authorization" for k in headers):
            request_headers["Authorization"] = basic_auth  # an explicit API key wins
        client_timeout = _client_timeout(timeouts.connect)
        try:
            async with asyncio.timeout(min(timeouts.first_token, timeouts.total)):
                response = await self._session.post(
                    target,
                    data=payload,
                    headers=request_headers,
                    timeout=client_timeout,
                )
        except TimeoutError:
            raise ProviderTimeout("The model provider did not answer in time.") from None
        except aiohttp.ClientConnectorError as exc:
            raise ProviderUnavailable(
                f"Could not connect to the model provider ({type(exc).__name__})."
            ) from None
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise ProviderUnavailable(
                f"The model provider closed the connection ({type(exc).__name__})."
            ) from None
        completed = False
        try:
            if response.status >= 300:
                body_bytes = await _read_limited(response)
                raise error_for_status(response.status, response.headers, body_bytes)
            yield UpstreamCall(response, timeouts, deadline)
            completed = response.content.at_eof()
        finally:
            if completed:
                response.release()
            else:
                # Half-read: drop the connection so the upstream notices and stops.
                response.close()


@functools.lru_cache(maxsize=64)
def _client_timeout(connect: float) -> aiohttp.ClientTimeout:
    # Immutable and shared: one per distinct connect timeout, not one per request.
    return aiohttp.ClientTimeout(total=None, connect=connect, sock_connect=connect)


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    try:
        async with asyncio.timeout(5.0):
            return await response.content.read(_ERROR_BODY_LIMIT)
    except (TimeoutError, aiohttp.ClientError, ConnectionError):
        return b""


def _split_credentials(url: str) -> tuple[URL, str | None]:
    """Move `user:password@` out of the URL into a basic-auth header value, so that the
    credentials never travel in the URL (nor in aiohttp's exception texts)."""
    parsed = URL(url)
    if parsed.user is None:
        return parsed, None
    pair = f"{parsed.user}:{parsed.password or ''}".encode()
    return parsed.with_user(None), "Basic " + base64.b64encode(pair).decode("ascii")
