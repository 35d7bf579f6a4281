"""Hold many streams open at once against a slow upstream; memory per stream, none dropped.

Opens N streaming requests (one connection each) in batches, waits until every stream has
received its first content chunk (or a deadline passes), then reads the gateway's RSS
(VmRSS summed over the process tree of each ``--pid``); then waits for every stream to end.
A stream counts as completed when it ends with HTTP 200, the expected number of content
chunks and the end marker (``data: [DONE]`` or ``event: done``). Prints one JSON object.

The upstream must be slow enough that the first streams are still open when the last one
opens: e.g. the mock profile ``/p/5/6000/0/v1`` (5 chunks 6 s apart, ~24 s per stream).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import time
from collections import Counter

from benchlib import Url, build_request, status_kb, stream_once, tree_pids


class State:
    def __init__(self) -> None:
        self.first = 0
        self.open = 0  # got first bytes and not finished yet
        self.completed = 0
        self.failures: Counter[str] = Counter()
        self.all_first = asyncio.Event()


async def one_stream(
    url: Url, request: bytes, expect_chunks: int, state: State, n: int, timeout: float
) -> None:
    writer: asyncio.StreamWriter | None = None
    wrapped: _FirstChunkReader | None = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(url.host, url.port), timeout
        )
        # stream_once only returns at the end; count the first bytes via a wrapper reader
        wrapped = _FirstChunkReader(reader, state, n)
        res = await asyncio.wait_for(stream_once(wrapped, writer, request), timeout)
        if res.status != 200:
            state.failures[f"http {res.status}"] += 1
        elif not res.done:
            state.failures["no end marker"] += 1
        elif expect_chunks and len(res.t_events) != expect_chunks:
            state.failures[f"{len(res.t_events)} chunks, expected {expect_chunks}"] += 1
        else:
            state.completed += 1
    except TimeoutError:
        state.failures["timeout"] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError) as e:
        state.failures[type(e).__name__] += 1
    finally:
        if wrapped is not None and wrapped.marked:
            state.open -= 1
        if writer is not None:
            writer.close()


class _FirstChunkReader:
    """Wraps a StreamReader and marks the stream's first body bytes once."""

    def __init__(self, inner: asyncio.StreamReader, state: State, n: int) -> None:
        self.inner, self.state, self.n, self.seen_head, self.marked = inner, state, n, False, False

    def _mark(self) -> None:
        if self.seen_head and not self.marked:
            self.marked = True
            self.state.first += 1
            self.state.open += 1
            if self.state.first >= self.n:
                self.state.all_first.set()

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        data = await self.inner.readuntil(separator)
        if not self.seen_head:
            self.seen_head = True
        else:
            self._mark()
        return data

    async def readline(self) -> bytes:
        data = await self.inner.readline()
        self._mark()
        return data

    async def readexactly(self, n: int) -> bytes:
        return await self.inner.readexactly(n)

    async def read(self, n: int = -1) -> bytes:
        data = await self.inner.read(n)
        self._mark()
        return data


async def run(args: argparse.Namespace) -> dict[str, object]:
    url = Url.parse(args.url)
    body: dict[str, object] = (
        json.loads(args.body)
        if args.body
        else {
            "model": args.model,
            "messages": [{"role": "user", "content": "Hold this stream open."}],
        }
    )
    body["stream"] = True
    request = build_request(url, body, args.auth or None)
    pids: list[int] = []
    for p in args.pid:
        pids.extend(tree_pids(p))
    rss_before = status_kb(pids, "VmRSS")
    state = State()
    n = args.streams
    t0 = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(0, n, args.batch):
        for _ in range(min(args.batch, n - i)):
            tasks.append(
                asyncio.create_task(
                    one_stream(url, request, args.expect_chunks, state, n, args.timeout)
                )
            )
        await asyncio.sleep(args.batch_pause_ms / 1000)
    t_launched = time.perf_counter() - t0
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(state.all_first.wait(), args.first_timeout)
    t_all_first = time.perf_counter() - t0
    pids = []
    for p in args.pid:
        pids.extend(tree_pids(p))
    rss_open = status_kb(pids, "VmRSS")
    open_now = state.open
    await asyncio.wait(tasks, timeout=args.timeout + 5)
    for t in tasks:
        t.cancel()
    delta = rss_open - rss_before
    return {
        "streams": n,
        "launched_s": round(t_launched, 2),
        "first_chunk_all_s": round(t_all_first, 2) if state.first >= n else None,
        "got_first_chunk": state.first,
        "open_at_sample": open_now,
        "completed": state.completed,
        "dropped": n - state.completed,
        "failures": dict(state.failures),
        "rss_before_kb": rss_before,
        "rss_open_kb": rss_open,
        "rss_delta_kb": delta,
        "kb_per_open_stream": round(delta / open_now, 2) if open_now > 0 else None,
        "elapsed_s": round(time.perf_counter() - t0, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--url", required=True, help="full URL of the streaming endpoint")
    ap.add_argument("--model", default="mock")
    ap.add_argument("--auth", default="", help="bearer token")
    ap.add_argument("--body", default="", help="JSON body (default: an OpenAI chat body)")
    ap.add_argument("--streams", type=int, default=5000)
    ap.add_argument("--expect-chunks", type=int, default=0, help="0: do not check")
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--batch-pause-ms", type=float, default=100)
    ap.add_argument("--first-timeout", type=float, default=60, help="s to wait for all firsts")
    ap.add_argument("--timeout", type=float, default=120, help="s per stream, all told")
    ap.add_argument("--pid", type=int, action="append", default=[], help="process to measure")
    args = ap.parse_args()
    args.streams = max(1, min(args.streams, 15_000))
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
