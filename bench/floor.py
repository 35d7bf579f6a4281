"""The floor: what forwarding costs on Parley's own stack with no feature at all.

    python bench/floor.py                 # 64 and 1 connections, 10 s each

A bare ASGI callable on uvicorn (uvloop, httptools, no access log) that forwards each
`POST /v1/chat/completions` body to the mock with Parley's upstream client
(`parley.adapters.llm.wire`) and returns the answer: no authentication, limits, routing,
accounting, logging or metrics. Pinned and loaded exactly as `bench/profile.py` does (mock
and wrk on core 0, the server on core 1). Whatever it costs per request, Parley with every
feature on cannot cost less; bench/NOTES.md compares the two.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import run
from run import BENCH, HOST, PROMPT, Proc

PORT = 18400
MOCK_PORT = 18011


def make_app(upstream: str) -> Any:
    from parley.adapters.llm.wire import UpstreamClient, parse_url

    target = parse_url(upstream)
    client = UpstreamClient()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-floor"}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    client.start()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    client.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["method"] == "GET":  # health
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        parts = []
        while True:
            message = await receive()
            parts.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        conn, response = await client.post(target, b"".join(parts), headers, connect_timeout=5)
        chunks = []
        while chunk := await response.read_some():
            chunks.append(chunk)
        client.finish(target, conn, response)
        body = b"".join(chunks)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def serve(port: int, upstream: str) -> None:
    import uvicorn

    uvicorn.run(
        make_app(upstream),
        host=HOST,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--upstream", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        serve(a.serve, a.upstream)
        return
    work = BENCH / ".work" / "floor"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    mock = run.start_mock(work, MOCK_PORT)
    procs = [mock]
    try:
        upstream = f"http://{HOST}:{MOCK_PORT}/v1/chat/completions"
        cmd = [sys.executable, __file__, "--serve", str(PORT), "--upstream", upstream]
        floor = Proc("floor", cmd, work / "floor.log", run.TARGET_CORE)
        procs.append(floor)
        if err := run.wait_http(f"http://{HOST}:{PORT}/health", floor, 30):
            raise SystemExit(f"floor: {err}")
        body = {"model": "bench-model", "messages": [{"role": "user", "content": PROMPT}]}
        body_file = work / "body.json"
        body_file.write_text(json.dumps(body))
        url = f"http://{HOST}:{PORT}/v1/chat/completions"
        for conns in (64, 1):

            def wrk(seconds: int, conns: int = conns) -> dict[str, Any]:
                return run.run_wrk(url, body_file, "sk-floor", conns, seconds)

            wrk(2)
            cpu0 = run.cpu_seconds([floor.pid])
            res = wrk(a.seconds)
            cpu1 = run.cpu_seconds([floor.pid])
            n = res["requests"]
            print(
                f"floor c={conns}: {n / (res['duration_us'] / 1e6):,.0f} req/s, "
                f"p50 {res['p50_us'] / 1000:.2f} ms, p99 {res['p99_us'] / 1000:.2f} ms, "
                f"CPU {(cpu1 - cpu0) * 1000 / max(n, 1):.3f} ms/req, "
                f"status errors {res['status_errors']}"
            )
    finally:
        for p in reversed(procs):
            p.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
