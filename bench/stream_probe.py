"""Concurrency-1 streaming probe: time to first chunk and inter-chunk time.

Takes several targets and interleaves their requests (A, B, A, B, ...) so that a gateway and
the mock called directly are measured under the same conditions in the same run. Prints one
JSON object: per label, the time to first byte / first content chunk and the gap between
content chunks (p50, p99, mean), in milliseconds.

    python bench/stream_probe.py --requests 40 \\
      --target '{"label": "mock", "url": "http://127.0.0.1:18000/p/8/10/0/v1/chat/completions"}' \\
      --target '{"label": "nginx", "url": "http://127.0.0.1:18080/p/8/10/0/v1/chat/completions"}'

A target is JSON: label, url, and optionally model, auth (bearer token), body (replaces the
default OpenAI body; "stream": true is added to it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from dataclasses import dataclass, field

from benchlib import StreamResult, Url, build_request, percentile, stream_once


@dataclass
class Probe:
    label: str
    url: Url
    request: bytes
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    results: list[StreamResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def once(self, timeout: float) -> StreamResult | None:
        try:
            if self.conn is None:
                self.conn = await asyncio.open_connection(self.url.host, self.url.port)
            res = await asyncio.wait_for(stream_once(*self.conn, self.request), timeout)
            if not res.keep_alive:
                self.close()
            return res
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as e:
            self.errors.append(f"{type(e).__name__}: {e}"[:200])
            self.close()
            return None

    def close(self) -> None:
        if self.conn is not None:
            self.conn[1].close()
            self.conn = None


def summarise(p: Probe) -> dict[str, object]:
    ok = [r for r in p.results if r.status == 200 and r.done and r.t_events]
    ttfb = [r.t_first_byte * 1000 for r in ok if r.t_first_byte is not None]
    ttfc = [r.t_events[0] * 1000 for r in ok]
    gaps = [(b - a) * 1000 for r in ok for a, b in zip(r.t_events, r.t_events[1:], strict=False)]
    total = [r.t_events[-1] * 1000 for r in ok]

    def stats(v: list[float]) -> dict[str, float]:
        if not v:
            return {}
        return {
            "p50": round(percentile(v, 50), 3),
            "p99": round(percentile(v, 99), 3),
            "mean": round(statistics.fmean(v), 3),
        }

    bad = [r.status for r in p.results if not (r.status == 200 and r.done and r.t_events)]
    return {
        "ok": len(ok),
        "failed": len(bad) + len(p.errors),
        "bad_statuses": sorted(set(bad)),
        "errors": p.errors[:3],
        "chunks_per_response": round(statistics.fmean(len(r.t_events) for r in ok), 1) if ok else 0,
        "ttfb_ms": stats(ttfb),
        "ttfc_ms": stats(ttfc),
        "inter_chunk_ms": stats(gaps),
        "last_chunk_ms": stats(total),
    }


async def run(targets: list[dict[str, object]], requests: int, warmup: int, timeout: float) -> None:
    probes: list[Probe] = []
    for t in targets:
        default: dict[str, object] = {
            "model": t.get("model", "mock"),
            "messages": [{"role": "user", "content": "Say hello in one short sentence."}],
        }
        given = t.get("body")
        body = dict(given) if isinstance(given, dict) else default
        body["stream"] = True
        url = Url.parse(str(t["url"]))
        auth = str(t["auth"]) if t.get("auth") else None
        probes.append(Probe(str(t["label"]), url, build_request(url, body, auth)))
    for i in range(warmup + requests):
        for p in probes:
            res = await p.once(timeout)
            if res is not None and i >= warmup:
                p.results.append(res)
    for p in probes:
        p.close()
    print(json.dumps({p.label: summarise(p) for p in probes}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--target", action="append", required=True, help="JSON target spec")
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    args = ap.parse_args()
    targets = [json.loads(t) for t in args.target]
    asyncio.run(run(targets, max(1, min(args.requests, 10_000)), max(0, args.warmup), args.timeout))


if __name__ == "__main__":
    main()
