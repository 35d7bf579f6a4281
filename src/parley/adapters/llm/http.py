"""The pooled upstream client every HTTP provider adapter owns, with Parley's timeout rules.

`PooledHttpClient.post` opens one upstream call and hands back the response once its
headers arrived with a 2xx status; anything else is already a `ProviderError`. Reads go
through `read_chunk`, which applies the idle and total deadlines. When the caller leaves
the `async with` before the body was read to the end (an exception, `aclose()` of a
generator, task cancellation) the connection is *closed*, not returned to the pool, so
the upstream sees the client go away and stops generating. The HTTP itself is
`adapters/llm/wire.py` (keep-alive connections on asyncio + httptools).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from parley import jsonio
from parley.adapters.llm.errors import error_for_status
from parley.adapters.llm.wire import (
    ConnectFailed,
    Response,
    UpstreamClient,
    UpstreamError,
    parse_url,
)
from parley.domain.errors import ProviderStreamBroken, ProviderTimeout, ProviderUnavailable
from parley.domain.models import Timeouts

KEEPALIVE_SECONDS = 30.0
_ERROR_BODY_LIMIT = 64 * 1024
#: A whole (non-streamed) answer larger than this is refused rather than held in memory.
MAX_ANSWER_BYTES = 32 * 1024 * 1024


class UpstreamCall:
    """One open upstream response plus the deadlines that bound reading it."""

    def __init__(
        self,
        response: Response,
        timeouts: Timeouts,
        deadline: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.response = response
        self._timeouts = timeouts
        self._deadline = deadline
        # Kept, not asked for per read: on Python 3.11 asking is a getpid() system call.
        self._loop = loop
        self._first_read = True

    async def read_chunk(self) -> bytes:
        """The next bytes of the body (b"" at its end), within the first-token, idle and
        total deadlines. Raises `ProviderTimeout` or `ProviderStreamBroken`."""
        limit = self._timeouts.first_token if self._first_read else self._timeouts.idle
        self._first_read = False
        # Nothing to wait for (most reads under load): no timer to arm.
        deadline = None if self.response.ready() else min(self._loop.time() + limit, self._deadline)
        try:
            return await self.response.read_some(deadline)
        except TimeoutError:
            raise ProviderTimeout(
                "The model provider stopped sending before it finished.", status=None
            ) from None
        except UpstreamError:
            raise ProviderStreamBroken("The model provider's connection broke off.") from None

    async def drain(self, grace: float = 1.0) -> None:
        """Read what is left of a finished body (the chunked terminator, usually already
        received) so the connection can go back to the pool; give up quietly after
        `grace` seconds, in which case leaving the `async with` closes it instead."""
        try:
            async with asyncio.timeout(grace):
                while await self.response.read_some():
                    pass
        except (TimeoutError, UpstreamError):
            return

    async def read_json(self) -> Any:
        """Read the whole body (within the deadlines) and parse it as JSON."""
        parts: list[bytes] = []
        size = 0
        while chunk := await self.read_chunk():
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise ProviderStreamBroken("The model provider's answer is too large.")
            parts.append(chunk)
        try:
            return jsonio.loads_answer(b"".join(parts))
        except ValueError:
            raise ProviderStreamBroken("The model provider sent a malformed answer.") from None


class PooledHttpClient:
    """Keep-alive connections to the upstreams, started and closed by their owner
    (`start()` in the app's lifespan, `aclose()` on shutdown)."""

    def __init__(self, *, user_agent: str = "parley") -> None:
        self._client = UpstreamClient(user_agent=user_agent, keepalive=KEEPALIVE_SECONDS)

    async def start(self) -> None:
        """Open the pools. Idempotent."""
        self._client.start()

    async def aclose(self) -> None:
        """Close every pooled connection. Idempotent."""
        self._client.close()

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
        if self._client.closed:
            raise RuntimeError("PooledHttpClient.start() was not called (or aclose() was)")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeouts.total
        try:
            target = parse_url(url)
        except ValueError:
            raise ProviderUnavailable("The model's base URL is not an http(s) URL.") from None
        payload = jsonio.dumps(body)
        request_headers = {"Content-Type": "application/json", **headers}
        if target.basic_auth and not any(k.lower() == "authorization" for k in headers):
            request_headers["Authorization"] = target.basic_auth  # an explicit API key wins
        try:
            conn, response = await self._client.post(
                target,
                payload,
                request_headers,
                connect_timeout=timeouts.connect,
                deadline=loop.time() + min(timeouts.first_token, timeouts.total),
            )
        except TimeoutError:
            raise ProviderTimeout("The model provider did not answer in time.") from None
        except ConnectFailed as error:
            raise ProviderUnavailable(
                f"Could not connect to the model provider ({error})."
            ) from None
        except UpstreamError as error:
            raise ProviderUnavailable(f"The model provider failed the request ({error}).") from None
        except ValueError:
            raise ProviderUnavailable(
                "The model's configured request headers are not valid HTTP headers."
            ) from None
        try:
            if response.status >= 300:
                body_bytes = await _read_limited(response)
                raise error_for_status(response.status, response.headers, body_bytes)
            yield UpstreamCall(response, timeouts, deadline, loop)
        finally:
            # Read to the end: back to the pool. Half-read: closed, so the upstream stops.
            self._client.finish(target, conn, response)


async def _read_limited(response: Response) -> bytes:
    parts: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(5.0):
            while size < _ERROR_BODY_LIMIT and (chunk := await response.read_some()):
                parts.append(chunk)
                size += len(chunk)
    except (TimeoutError, UpstreamError):
        pass
    return b"".join(parts)[:_ERROR_BODY_LIMIT]
