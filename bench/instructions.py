"""Instructions per request, counted by valgrind (callgrind): a cost figure the machine's noise
does not move.

    python bench/instructions.py                      # Parley (SQLite) and the floor
    python bench/instructions.py --target parley --requests 2000
    python bench/instructions.py --target parley --parley-env PYTHONPATH=/path/to/other/src
    python bench/instructions.py --target parley --ablate limits,log   # what they cost
    python bench/instructions.py --target parley --turns --requests 200   # conversation turns
    python bench/instructions.py --target parley --stream   # streamed completions

On a shared VM the same build's CPU time per request moves by ±30 % within an hour (and
by 3x between machines of the same kind: bench/NOTES.md), so a small change cannot be
seen in `profile.py`'s figures without many alternating runs. Callgrind counts the
instructions the server executes in user space, the same for the same code and the same
requests whatever else the machine does. It does not count the kernel's side (syscalls,
the loopback network) or cache misses, so it is a measure of the Python work, not of
time: use it to compare two builds, and `run.py` for what a request costs.

Starts the mock (core 0) and the target under `valgrind --tool=callgrind
--instr-atstart=no` (core 1: the server starts at a few times its normal time, not
callgrind's ~50x), creates the bench account, sends warm-up requests, then turns
instrumentation on (`callgrind_control -i on`), sends `--requests` non-streamed
`POST /v1/chat/completions` over `--conns` keep-alive connections, turns it off and dumps
the counts. Targets: `parley` (exactly as run.py starts it: API key, limits, usage,
metrics and the access log on) and `floor` (bench/floor.py: the same stack with no
feature). Every answer must be 200, or the run fails.

`--ablate` switches parts of the path off (bench/ablate/sitecustomize.py; `log` sets the
log level to warning, `limits` removes every tier limit): what a feature costs is the
difference it makes. bench/NOTES.md has the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import run
from benchlib import Url, build_request, iter_body, read_head
from run import BENCH, GATEWAY_MODELS, HOST, PROMPT, ParleyConfig, Proc

ABLATIONS = ("log", "limits", "metrics", "usage", "auth", "breaker")
NO_LIMITS = {
    name: None
    for name in (
        "requests_per_minute",
        "tokens_per_minute",
        "tokens_per_day",
        "concurrent_streams",
        "monthly_budget",
        "max_output_tokens",
    )
}
PORT = 18500
MOCK_PORT = 18012
VALGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]


async def send_requests(
    url: str, auth: str, total: int, conns: int, *, turns: bool = False, stream: bool = False
) -> None:
    """`total` requests over `conns` keep-alive connections; raises on any non-200. A
    completion (streamed with `stream`: the mock's 20 chunks at once), or with `turns` a
    conversation turn (`POST /v2/chat/stream`, a new conversation each time, as run.py's
    scenario 3)."""
    target = Url.parse(url)
    body: dict[str, object] = (
        {"message": PROMPT, "model": GATEWAY_MODELS["fast"]}
        if turns
        else {"model": GATEWAY_MODELS["fast"], "messages": [{"role": "user", "content": PROMPT}]}
    )
    if stream and not turns:
        body["stream"] = True
    request = build_request(target, body, auth)
    counts = [total // conns + (1 if i < total % conns else 0) for i in range(conns)]

    async def one_connection(n: int) -> None:
        reader, writer = await asyncio.open_connection(target.host, target.port)
        try:
            for _ in range(n):
                writer.write(request)
                head = await read_head(reader)
                async for _ in iter_body(reader, head):
                    pass
                if head.status != 200:
                    raise RuntimeError(f"HTTP {head.status}")
        finally:
            writer.close()

    await asyncio.gather(*(one_connection(n) for n in counts if n))


def control(pid: int, *args: str) -> str:
    command = ["callgrind_control", *args, str(pid)]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"callgrind_control {args}: {done.stdout} {done.stderr}")
    return done.stdout


def total_instructions(work: Path, pid: int) -> int:
    """The `totals:` of the dump `callgrind_control --dump` wrote (cg.<pid>.1; the file
    without a suffix is written at exit)."""
    dump = work / f"cg.{pid}.1"
    for line in dump.read_text(errors="replace").splitlines():
        if match := re.match(r"totals:\s+(\d+)", line):
            return int(match.group(1))
    raise RuntimeError(f"no totals in {dump}")


def measure(name: str, cmd: list[str], env: dict[str, str] | None, a: argparse.Namespace) -> None:
    work = BENCH / ".work" / "instructions" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    mock = run.start_mock(work, MOCK_PORT)
    procs = [mock]
    try:
        vg = [*VALGRIND, f"--callgrind-out-file={work}/cg.%p"]
        server = Proc(name, [*vg, *cmd], work / f"{name}.log", run.TARGET_CORE, env=env)
        procs.append(server)
        base = f"http://{HOST}:{PORT}"
        health = "/healthz" if name == "parley" else "/health"
        if err := run.wait_http(base + health, server, a.start_timeout):
            raise SystemExit(f"{name}: {err}")
        auth = "sk-floor"
        if name == "parley":
            harness = run.Harness.__new__(run.Harness)
            harness.parley = a.parley_config
            target = run.Target("parley", base, pid=server.pid, procs=[server])
            if err := run.Harness.parley_account(harness, target):
                raise SystemExit(err)
            auth = target.auth
        turns = a.turns and name == "parley"
        url = f"{base}/v2/chat/stream" if turns else f"{base}/v1/chat/completions"
        stream = a.stream and name == "parley"
        asyncio.run(send_requests(url, auth, a.warmup, a.conns, turns=turns, stream=stream))
        control(server.pid, "--zero")
        control(server.pid, "--instr=on")
        asyncio.run(send_requests(url, auth, a.requests, a.conns, turns=turns, stream=stream))
        control(server.pid, "--instr=off")
        control(server.pid, "--dump")
        instructions = total_instructions(work, server.pid)
        label = f"{name} (without {a.ablate})" if a.ablate and name == "parley" else name
        unit = "turn" if turns else "streamed request" if stream else "request"
        print(
            f"{label}: {instructions / a.requests / 1e6:.3f} M instructions per {unit} "
            f"({a.requests} requests over {a.conns} connections)"
        )
        sys.stdout.flush()
    finally:
        for p in reversed(procs):
            p.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--target", choices=("parley", "floor", "both"), default="both")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--backend", choices=("sqlite", "pg", "redis"), default="sqlite")
    ap.add_argument(
        "--turns",
        action="store_true",
        help="Parley: count POST /v2/chat/stream turns (scenario 3) instead of completions",
    )
    ap.add_argument(
        "--stream",
        action="store_true",
        help="Parley: streamed completions (the mock's 20 chunks at once) instead",
    )
    ap.add_argument("--start-timeout", type=float, default=300.0)
    ap.add_argument(
        "--ablate", default="", help=f"comma-separated parts to switch off: {','.join(ABLATIONS)}"
    )
    ap.add_argument("--parley-exe", type=Path, default=ParleyConfig.exe)
    ap.add_argument(
        "--parley-env", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    a = ap.parse_args()
    ablate = [part for part in a.ablate.split(",") if part]
    if unknown := set(ablate) - set(ABLATIONS):
        raise SystemExit(f"--ablate: unknown {sorted(unknown)}; known: {ABLATIONS}")
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    if a.target in ("floor", "both"):
        upstream = f"http://{HOST}:{MOCK_PORT}/v1/chat/completions"
        floor = [sys.executable, str(BENCH / "floor.py"), "--serve", str(PORT)]
        measure("floor", [*floor, "--upstream", upstream], None, a)
    if a.target in ("parley", "both"):
        cfg = ParleyConfig(
            exe=a.parley_exe.resolve(),
            extra_env=dict(item.split("=", 1) for item in a.parley_env),
        )
        a.parley_config = cfg
        data = BENCH / ".work" / "instructions" / "data"
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        models = data / "models.yaml"
        models.write_text(cfg.models_yaml(MOCK_PORT))
        if a.backend == "redis":
            subprocess.run(
                ["redis-cli", "-u", cfg.redis_url, "FLUSHDB"], check=True, capture_output=True
            )
        if a.backend in ("pg", "redis"):
            cfg.pg_database = "parley_instructions"
            for sql in (
                f'DROP DATABASE IF EXISTS "{cfg.pg_database}" WITH (FORCE)',
                f'CREATE DATABASE "{cfg.pg_database}"',
            ):
                subprocess.run(
                    ["psql", cfg.pg_admin_dsn, "-c", sql], check=True, capture_output=True
                )
        env = cfg.env(a.backend, data, models)
        # Work done per interval, not per request (the usage flush, the job queue's poll,
        # the API keys' last-use write), would weigh ~50x its share at callgrind's pace and
        # make the count vary with when it falls: the usage flush then happens by batch size
        # (500 rows), as under load, and the rest once in ten minutes. (The incident check,
        # every 5 s at most, still runs: expect ±1 % between runs.)
        per_interval = {
            "PARLEY_USAGE_FLUSH_SECONDS": "600",
            "PARLEY_JOB_POLL_SECONDS": "600",
            "PARLEY_API_KEY_USE_FLUSH_SECONDS": "600",
            "PARLEY_MODEL_CATALOG_CHECK_SECONDS": "600",
        }
        env = {**per_interval, **env}
        if "log" in ablate:
            env["PARLEY_LOG_LEVEL"] = "warning"
        if "limits" in ablate:
            env["PARLEY_TIER_LIMITS"] = json.dumps({"free": NO_LIMITS, "pro": NO_LIMITS})
        if patched := [part for part in ablate if part not in ("log", "limits")]:
            path = [str(BENCH / "ablate"), *filter(None, [env.get("PYTHONPATH", "")])]
            env["PYTHONPATH"] = os.pathsep.join(path)
            env["PARLEY_BENCH_ABLATE"] = ",".join(patched)
        exe = [sys.executable, str(cfg.exe)]  # valgrind runs the interpreter, not the script
        measure("parley", [*exe, "serve", "--host", HOST, "--port", str(PORT)], env, a)


if __name__ == "__main__":
    main()
