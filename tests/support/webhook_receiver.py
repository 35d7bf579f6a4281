"""`WebhookReceiver`: an HTTP endpoint on 127.0.0.1 that records what is POSTed to it,
answering each call with the next scripted status (200 once the script runs out)."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class ReceivedCall:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result


class WebhookReceiver:
    def __init__(self) -> None:
        self.calls: list[ReceivedCall] = []
        self._statuses: deque[int] = deque()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hook"

    def answer(self, *statuses: int) -> None:
        self._statuses.extend(statuses)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedCall]:
        async with asyncio.timeout(timeout):
            while len(self.calls) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.calls

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.calls.append(ReceivedCall(request.path, dict(request.headers), body))
        self._arrived.set()
        status = self._statuses.popleft() if self._statuses else 200
        if status in (301, 302, 307, 308):
            return web.Response(status=status, headers={"Location": "/elsewhere"})
        return web.Response(status=status)

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
