"""Profile Parley under wrk load with py-spy: where does one request's CPU go?

    python bench/profile.py                       # non-streamed, 64 connections, 15 s
    python bench/profile.py --stream --seconds 20
    python bench/profile.py --turns               # /v2/chat/stream (SQLite)

Starts the mock (core 0) and `parley serve` (core 1) exactly as run.py does (same env,
same models, same limits), creates the bench account, then runs wrk on core 0 while
`py-spy record` samples the Parley process. Writes, under bench/.work/profile/:
`profile.txt` (collapsed stacks, for flamegraph tools or grep) and `summary.txt` (the
functions with the most samples, inclusive and exclusive). Needs `pip install py-spy`
in the Python running this script (or `--py-spy PATH`) and ptrace rights (root, or
kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import run
from run import BENCH, GATEWAY_MODELS, HOST, LOADGEN_CORE, PROMPT, ParleyConfig, Proc

PORT = 18300
MOCK_PORT = 18010


def summarise(collapsed: Path, top: int = 45) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    exclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        if frames[0].startswith("Thread._bootstrap"):
            continue  # worker threads (aiosqlite's) mostly sit in a blocking get()
        for frame in set(frames):
            inclusive[frame] += count
        exclusive[frames[-1]] += count
    out = [f"{total} samples of the event-loop thread", "", "inclusive %  function"]
    out += [f"{100 * n / total:6.1f}  {f}" for f, n in inclusive.most_common(top)]
    out += ["", "exclusive %  function"]
    out += [f"{100 * n / total:6.1f}  {f}" for f, n in exclusive.most_common(top)]
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--stream", action="store_true", help="streamed /v1/chat/completions")
    ap.add_argument("--turns", action="store_true", help="/v2/chat/stream instead")
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--backend", choices=("sqlite", "pg", "redis"), default="sqlite")
    ap.add_argument("--parley-exe", type=Path, default=ParleyConfig.exe)
    ap.add_argument(
        "--py-spy", default=shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    )
    ap.add_argument("--no-profile", action="store_true", help="only the wrk numbers")
    ap.add_argument(
        "--blocking",
        action="store_true",
        help="py-spy pauses Parley for each sample: exact stacks (inclusive shares are right),"
        " at a cost in throughput; the default sampling can truncate stacks",
    )
    ap.add_argument(
        "--parley-env", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    ap.add_argument(
        "--serve",
        type=int,
        default=0,
        metavar="SECONDS",
        help="start the mock and Parley as for a run, print the URL and key, keep them up",
    )
    a = ap.parse_args()
    work = BENCH / ".work" / "profile"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cfg = ParleyConfig(
        exe=a.parley_exe.resolve(),
        extra_env=dict(item.split("=", 1) for item in a.parley_env),
    )
    mock = run.start_mock(work, MOCK_PORT)
    procs = [mock]
    try:
        data = work / "data"
        data.mkdir()
        models = data / "models.yaml"
        models.write_text(cfg.models_yaml(MOCK_PORT))
        if a.backend in ("pg", "redis"):
            cfg.pg_database = "parley_profile"
        env = cfg.env(a.backend, data, models)
        if a.backend == "redis":
            subprocess.run(
                ["redis-cli", "-u", cfg.redis_url, "FLUSHDB"], check=True, capture_output=True
            )
        if a.backend in ("pg", "redis"):
            for sql in (
                f'DROP DATABASE IF EXISTS "{cfg.pg_database}" WITH (FORCE)',
                f'CREATE DATABASE "{cfg.pg_database}"',
            ):
                subprocess.run(
                    ["psql", cfg.pg_admin_dsn, "-c", sql], check=True, capture_output=True
                )
        parley = Proc("parley", cfg.serve_cmd(PORT), work / "parley.log", run.TARGET_CORE, env=env)
        procs.append(parley)
        target = run.Target("parley", f"http://{HOST}:{PORT}", pid=parley.pid, procs=[parley])
        if err := run.wait_http(f"{target.base}/healthz", parley, 60):
            raise SystemExit(f"parley: {err}")
        harness = run.Harness.__new__(run.Harness)
        harness.parley = cfg
        if err := run.Harness.parley_account(harness, target):
            raise SystemExit(err)
        if a.serve:
            print(json.dumps({"base": target.base, "auth": target.auth, "pid": parley.pid}))
            sys.stdout.flush()
            time.sleep(a.serve)
            return
        if a.turns:
            url = f"{target.base}/v2/chat/stream"
            body: dict[str, object] = {"message": PROMPT, "model": GATEWAY_MODELS["fast"]}
        else:
            url = target.chat_url("fast")
            body = {
                "model": GATEWAY_MODELS["fast"],
                "messages": [{"role": "user", "content": PROMPT}],
            }
            if a.stream:
                body["stream"] = True
        body_file = work / "body.json"
        body_file.write_text(json.dumps(body))

        def wrk(seconds: int) -> dict[str, Any]:
            return run.run_wrk(url, body_file, target.auth, a.conns, seconds)

        wrk(3)  # warm-up
        spy = None
        if not a.no_profile:
            spy = subprocess.Popen(
                [
                    "taskset",
                    "-c",
                    LOADGEN_CORE,
                    a.py_spy,
                    "record",
                    "--pid",
                    str(parley.pid),
                    "--rate",
                    str(a.rate),
                    "--duration",
                    str(a.seconds),
                    "--format",
                    "raw",
                    *([] if a.blocking else ["--nonblocking"]),
                    "--output",
                    str(work / "profile.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            time.sleep(0.5)
        cpu0 = run.cpu_seconds([parley.pid])
        res = wrk(a.seconds)
        cpu1 = run.cpu_seconds([parley.pid])
        if spy is not None:
            spy.wait(60)
        n = res["requests"]
        print(
            f"{n / (res['duration_us'] / 1e6):,.0f} req/s, p50 {res['p50_us'] / 1000:.2f} ms, "
            f"p99 {res['p99_us'] / 1000:.2f} ms, "
            f"CPU {(cpu1 - cpu0) * 1000 / max(n, 1):.3f} ms/req, "
            f"status errors {res['status_errors']}"
        )
        if spy is not None and (work / "profile.txt").exists():
            summary = summarise(work / "profile.txt")
            (work / "summary.txt").write_text(summary)
            print(f"profile: {work / 'profile.txt'}; summary: {work / 'summary.txt'}")
    finally:
        for p in reversed(procs):
            p.stop()


if __name__ == "__main__":
    main()
