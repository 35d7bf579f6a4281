"""Shared helpers for the bench: /proc readings and a minimal raw HTTP/1.1 client.

The client exists so that the streaming probes time chunks as they arrive, with nothing
between the socket and the clock but asyncio streams (no client-library buffering).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------ /proc


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (one pass over /proc)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime+stime of the given processes, in seconds (dead ones count as 0)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / CLK_TCK


def status_kb(pids: list[int], key: str) -> int:
    """Sum of a kB field of /proc/PID/status (``VmRSS``, ``VmHWM``) over ``pids``."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


# ------------------------------------------------------------------------------ raw HTTP/1.1


@dataclass
class Url:
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> Url:
        u = urlsplit(url)
        if u.scheme != "http" or u.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(f"loopback http URLs only: {url}")
        return cls(u.hostname, u.port or 80, (u.path or "/") + (f"?{u.query}" if u.query else ""))


def build_request(url: Url, body: dict[str, object], auth: str | None) -> bytes:
    payload = json.dumps(body).encode()
    lines = [
        f"POST {url.path} HTTP/1.1",
        f"Host: {url.host}:{url.port}",
        "Content-Type: application/json",
        "Accept: text/event-stream",
        f"Content-Length: {len(payload)}",
    ]
    if auth:
        lines.append(f"Authorization: Bearer {auth}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Reader(Protocol):
    """What the client needs of an ``asyncio.StreamReader`` (so probes can wrap one)."""

    async def readuntil(self, separator: bytes = ...) -> bytes: ...
    async def readline(self) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...
    async def read(self, n: int = ...) -> bytes: ...


@dataclass
class Response:
    status: int
    headers: dict[str, str]


async def read_head(reader: Reader) -> Response:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return Response(status, headers)


async def iter_body(reader: Reader, resp: Response) -> AsyncIterator[bytes]:
    """Body pieces as they arrive: one per HTTP chunk, or per read without chunking."""
    if "chunked" in resp.headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readline()
            if not size_line:
                return
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # trailer end (no trailers expected)
                return
            data = await reader.readexactly(size + 2)
            yield data[:-2]
    elif "content-length" in resp.headers:
        left = int(resp.headers["content-length"])
        while left > 0:
            data = await reader.read(min(left, 65536))
            if not data:
                return
            left -= len(data)
            yield data
    else:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            yield data


@dataclass
class StreamResult:
    status: int
    t_first_byte: float | None = None  # seconds after the request was written
    t_events: list[float] = field(default_factory=list)  # content events only
    done: bool = False  # saw [DONE] (OpenAI) or event: done (v2)
    keep_alive: bool = True
    error: str | None = None


def is_content_event(event: bytes) -> bool:
    """A content delta in either stream format (OpenAI chunk or Parley v2 ``delta``)."""
    if event.startswith(b"event: delta") or b"\nevent: delta" in event:
        return True
    if b"[DONE]" in event or b'"content"' not in event:
        return False
    compact = event.replace(b" ", b"")
    return b'"content":null' not in compact and b'"content":""' not in compact


def is_done_event(event: bytes) -> bool:
    return b"data: [DONE]" in event or event.startswith(b"event: done") or b"\nevent: done" in event


async def stream_once(reader: Reader, writer: asyncio.StreamWriter, request: bytes) -> StreamResult:
    """Send one request on an open connection and time every SSE event of the answer."""
    t0 = time.perf_counter()
    writer.write(request)
    resp = await read_head(reader)
    res = StreamResult(resp.status)
    res.keep_alive = resp.headers.get("connection", "").lower() != "close"
    buf = b""
    async for piece in iter_body(reader, resp):
        now = time.perf_counter() - t0
        if res.t_first_byte is None:
            res.t_first_byte = now
        buf += piece.replace(b"\r\n", b"\n")
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            if is_content_event(event):
                res.t_events.append(now)
            if is_done_event(event):
                res.done = True
    return res


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]
