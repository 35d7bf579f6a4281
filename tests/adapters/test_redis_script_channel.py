"""The admission script's own pipelined connection, on real Redis: every caller gets its own
reply whatever the interleaving, errors stay with their call, and a restart of Redis (dead
connection, forgotten script) costs no call."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from parley.adapters.redis.script_channel import ScriptChannel
from parley.container.redis_state import redis_client
from tests.support.redis_server import PrivateRedis

ECHO = """
if tonumber(ARGV[1]) % 7 == 3 then return redis.error_reply('refused ' .. ARGV[1]) end
return {KEYS[1], ARGV[1], ARGV[2]}
"""
# Busy for about `ARGV[1]` million steps before answering (Lua cannot sleep).
SLOW = "local i = 0 while i < tonumber(ARGV[1]) * 1000000 do i = i + 1 end return ARGV[2]"


@contextlib.asynccontextmanager
async def channel(url: str, script: str, **options: float) -> AsyncIterator[ScriptChannel]:
    client = redis_client(url)  # as the container makes it
    calls = ScriptChannel(client, script, **options)
    try:
        yield calls
    finally:
        await calls.aclose()
        await client.aclose()


@pytest.fixture
def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(tmp_path).start()
    try:
        yield server  # type: ignore[misc]
    finally:
        server.stop()


async def test_concurrent_calls_each_get_their_own_reply(redis_url: str) -> None:
    async with channel(redis_url, ECHO) as calls:

        async def one(n: int) -> object:
            try:
                return await calls([f"key:{n}"], [n, 1.5])
            except ResponseError as error:
                return str(error)

        replies = await asyncio.gather(*(one(n) for n in range(500)))
    for n, reply in enumerate(replies):
        if n % 7 == 3:
            assert reply == f"refused {n}"
        else:
            assert reply == [f"key:{n}".encode(), str(n).encode(), b"1.5"]


async def test_a_cancelled_call_does_not_shift_the_replies(private_redis: PrivateRedis) -> None:
    async with channel(private_redis.url, SLOW, reply_timeout=5) as calls:
        first = asyncio.create_task(calls([], [20, "first"]))
        await asyncio.sleep(0.01)  # written; its reply comes when the loop is done
        second = asyncio.create_task(calls([], [0, "second"]))
        await asyncio.sleep(0.01)
        first.cancel()
        assert await second == b"second"
        assert await calls([], [0, "third"]) == b"third"
    assert first.cancelled()


async def test_a_restarted_redis_costs_no_call(private_redis: PrivateRedis) -> None:
    async with channel(private_redis.url, ECHO) as calls:
        assert await calls(["k"], [1, 2]) == [b"k", b"1", b"2"]
        private_redis.stop()
        with pytest.raises(RedisConnectionError):
            await calls(["k"], [1, 2])  # Redis is away: the failover's signal
        private_redis.start()  # the same port, an empty script cache
        assert await calls(["k"], [2, 2]) == [b"k", b"2", b"2"]
        await Redis.from_url(private_redis.url).script_flush()
        assert await calls(["k"], [4, 2]) == [b"k", b"4", b"2"]  # NOSCRIPT: loaded again


async def test_calls_waiting_on_a_silent_redis_time_out(private_redis: PrivateRedis) -> None:
    async with channel(private_redis.url, SLOW, reply_timeout=0.05) as calls:
        results = await asyncio.gather(
            calls([], [3, "first"]), calls([], [0, "second"]), return_exceptions=True
        )
        # Neither waits for ever: the busy call times out (and again on its retry); the
        # other, retried on a new connection, times out too or is answered — its own reply.
        slow, quick = results
        assert isinstance(slow, RedisTimeoutError), results
        assert quick == b"second" or isinstance(quick, RedisTimeoutError), results
        waiting = Redis.from_url(private_redis.url)
        await waiting.ping()  # answered once Redis is done with the busy scripts
        await waiting.aclose()
        assert await calls([], [0, "after"]) == b"after"
