"""Loopback servers that tools call in tests: a webhook receiver and an MCP server."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from aiohttp import web
from mcp.server.fastmcp import FastMCP


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that records requests and answers with a sum."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()

    async def handle(request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        receiver.requests.append({"headers": dict(request.headers), "body": body})
        return web.json_response({"sum": body.get("a", 0) + body.get("b", 0)})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(str(request.query["to"]))

    app = web.Application()
    app.router.add_post("/hook", handle)
    app.router.add_post("/redirect", redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def mcp_server() -> Iterator[str]:
    """A FastMCP server over Streamable HTTP on 127.0.0.1 (in a thread); yields its URL."""
    port = _free_port()
    server = FastMCP("test-tools", host="127.0.0.1", port=port, stateless_http=True)

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    config = uvicorn.Config(
        server.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if uv.started:
            break
        threading.Event().wait(0.025)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        uv.should_exit = True
        thread.join(timeout=5)
