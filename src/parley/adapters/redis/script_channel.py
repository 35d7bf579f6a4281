"""One Lua script called over a connection of its own, concurrent calls pipelined.

The limits' admission script runs once per chat request. Through redis-py's client a call
costs ~0.43 M instructions — its pool (a lock and observability hooks per checkout), retry
wrapper, argument encoders and a task per write (`wait_for`) — as much as the whole rest of
a request; the same EVALSHA written to a held connection costs ~0.18 M (callgrind,
bench/NOTES.md). So this sends the script's calls over one dedicated redis-py
`Connection` (made from the client's own settings: address, credentials, TLS, protocol):
each call writes its command and waits for its reply, and replies, which Redis sends in
order, are handed out in order by one reader. Errors keep redis-py's types: a
`ResponseError` belongs to its call alone; a broken or silent connection fails every call
waiting on it, and each is tried once more on a new connection (as the client's own
`Retry` does after a Redis restart). A script Redis no longer knows (NOSCRIPT, after a
restart) is loaded again and the call repeated."""

from __future__ import annotations

import asyncio
import collections
import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | bytes | int | float

#: Waiting longer than this for a reply counts as a broken connection.
DEFAULT_REPLY_TIMEOUT = 0.5


class _Line:
    """A connection and the calls waiting on it, in the order they were written."""

    __slots__ = ("broken", "connection", "reader", "waiting")

    def __init__(self, connection: AbstractConnection) -> None:
        self.connection = connection
        self.waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.reader: asyncio.Task[None] | None = None
        self.broken = False


class ScriptChannel:
    def __init__(
        self, client: Redis, script: str, *, reply_timeout: float = DEFAULT_REPLY_TIMEOUT
    ) -> None:
        self._client = client
        self._script = script
        self._sha = hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest().encode()
        self._reply_timeout = reply_timeout
        self._line: _Line | None = None
        self._sending = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()

    async def __call__(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        command = _pack(b"EVALSHA", self._sha, len(keys), *keys, *args)
        for attempt in (1, 2):
            try:
                return await self._call(command)
            except NoScriptError:
                await self._client.script_load(self._script)
            except (RedisConnectionError, RedisTimeoutError):
                if attempt == 2:
                    raise
        return await self._call(command)  # loaded again on the second NOSCRIPT: a last try

    async def aclose(self) -> None:
        line, self._line = self._line, None
        if line is not None:
            self._break(line, RedisConnectionError("The script channel was closed."))
            await line.connection.disconnect()

    async def _call(self, command: bytes) -> Any:
        reply = asyncio.get_running_loop().create_future()
        async with self._sending:  # the order of the writes is the order of `waiting`
            line = self._line
            if line is None or not line.connection.is_connected:
                if line is not None:
                    self._break(line, RedisConnectionError("Redis closed the connection."))
                line = self._line = _Line(await self._connect())
            line.waiting.append(reply)
            try:
                await line.connection.send_packed_command(command, check_health=False)
            except BaseException as error:
                self._break(line, error)  # maybe half-written: the line is done for
                reply.exception()  # (it is raised below, not left unretrieved)
                raise
            if line.reader is None or line.reader.done():
                line.reader = asyncio.ensure_future(self._read(line))
        return await reply

    async def _connect(self) -> AbstractConnection:
        pool = self._client.connection_pool
        # Writes go straight to the socket (with a socket timeout redis-py makes a task of
        # each write); reads are bounded by `reply_timeout` instead.
        settings = pool.connection_kwargs
        connection = pool.connection_class(**{**settings, "socket_timeout": None})
        # The handshake (HELLO, AUTH, SELECT) is bounded like a reply.
        limit = (settings.get("socket_connect_timeout") or 0) + self._reply_timeout
        try:
            async with asyncio.timeout(limit):
                await connection.connect()  # type: ignore[no-untyped-call]
        except TimeoutError:
            await connection.disconnect(nowait=True)
            raise RedisTimeoutError("Timed out connecting to Redis.") from None
        return connection

    async def _read(self, line: _Line) -> None:
        """Hand out replies in order while calls wait on `line`."""
        while line.waiting and not line.broken:
            try:
                # (redis-py's own read timeout answers None, which is also a script's nil)
                async with asyncio.timeout(self._reply_timeout):
                    reply: Any = await line.connection.read_response()
            except ResponseError as error:
                reply = error
            except TimeoutError:
                self._break(line, RedisTimeoutError("Timed out waiting for Redis to reply."))
                return
            except BaseException as error:
                self._break(line, error)
                if not isinstance(error, Exception):
                    raise
                return
            waiter = line.waiting.popleft()
            if waiter.done():  # its caller was cancelled; the reply was still its own
                continue
            if isinstance(reply, ResponseError):
                waiter.set_exception(reply)
            else:
                waiter.set_result(reply)

    def _break(self, line: _Line, error: BaseException) -> None:
        """Every call waiting on `line` fails with a connection error; the next call opens
        a new line."""
        if line.broken:
            return
        line.broken = True
        if self._line is line:
            self._line = None
        failure = (
            error
            if isinstance(error, (RedisConnectionError, RedisTimeoutError))
            else RedisConnectionError(f"Redis connection lost ({type(error).__name__}).")
        )
        while line.waiting:
            waiter = line.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(failure)
        if line.connection.is_connected:
            closing = asyncio.ensure_future(line.connection.disconnect(nowait=True))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)


def _pack(*parts: Arg) -> bytes:
    """A command in RESP: an array of bulk strings (numbers as redis-py writes them)."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        if isinstance(part, str):
            data = part.encode()
        elif isinstance(part, bytes):
            data = part
        elif isinstance(part, int):
            data = b"%d" % part
        else:
            data = repr(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)
