"""Running `parley serve` as a real process for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from parley.api.server import ParleyHttpProtocol


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """`parley serve` on a free loopback port, with the given PARLEY_* environment."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / f"server-{self.port}.log"
        self._env = {
            **os.environ,
            "PARLEY_DATA_DIR": str(data_dir),
            "PARLEY_HOST": "127.0.0.1",
            "PARLEY_PORT": str(self.port),
            "PARLEY_LOG_LEVEL": "warning",
            **env,
        }
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> ServerProcess:
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "parley.cli", "serve"],
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(self.base_url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become ready:\n{self.log_path.read_text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self._process is None or self._process.poll() is not None:
            return self._process.returncode if self._process else None
        self._process.send_signal(sig)
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class LoopbackTransport(httpx.AsyncBaseTransport):
    """Sends every request to 127.0.0.1:`port` whatever its URL's host (which stays in the
    Host header), so clients and SDKs built for an in-process base URL work unchanged."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _InProcessServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the test process keeps its own signal handlers


@contextlib.asynccontextmanager
async def served_over_http(app: Any, **config: Any) -> AsyncIterator[LoopbackTransport]:
    """`app` served by uvicorn with `parley serve`'s protocol on a loopback port, in this
    event loop (its lifespan included); yields a transport to it."""
    server = _InProcessServer(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            http=ParleyHttpProtocol,
            lifespan="on",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=3,  # a failed test may leave a request half-sent
            **config,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    transport = LoopbackTransport(port)
    try:
        yield transport
    finally:
        await transport.aclose()
        server.should_exit = True
        await task
