"""Parley benchmark harness: one command runs every scenario and writes bench/RESULTS.md.

    python bench/run.py --all                       # everything (~10-15 min)
    python bench/run.py --target nginx --scenario chat
    python bench/run.py --target parley-sqlite --parley-exe /path/to/parley

Targets: mock (the upstream called directly: the baseline), nginx (reverse proxy: the floor),
litellm (LiteLLM proxy, one worker), parley-sqlite, parley-pg. Scenarios: chat (non-streamed
/v1/chat/completions), stream (the same, streamed, plus a concurrency-1 probe of time to
first chunk and inter-chunk time), turns (/v2/chat/stream, Parley only), hold (thousands of
streams held open against a slow upstream), mockcap (what the mock alone can do).

Pinning: load generators and the mock on core 0, the target under test on core 1.
Results accumulate in bench/results.json (a partial run replaces only what it measured) and
bench/RESULTS.md is rendered from it. Only 127.0.0.1 is used; every process started here is
stopped here, by its own process-group id.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchlib import cpu_seconds, status_kb, tree_pids

BENCH = Path(__file__).resolve().parent
LUA = BENCH / "lua" / "post.lua"
RESULTS_JSON = BENCH / "results.json"
RESULTS_MD = BENCH / "RESULTS.md"

LOADGEN_CORE = "0"  # wrk, the probes and the mock
TARGET_CORE = "1"  # the gateway under test
HOST = "127.0.0.1"
PORTS = {
    "mock": 18000,
    "mockcap": 18001,
    "nginx": 18080,
    "litellm": 18100,
    "parley-sqlite": 18200,
    "parley-pg": 18201,
    "parley-redis": 18202,
}

# Mock behaviour per "profile", reached through the base_url path (see mock_upstream.py).
# fast: non-streamed at once; streamed 20 chunks back to back (mock defaults).
# gap: 8 chunks 10 ms apart, for the time-to-first-chunk / inter-chunk probe.
# slow: 5 chunks 6 s apart (~24 s per stream), for holding thousands of streams open.
PROFILES = {"fast": "/v1", "gap": "/p/8/10/0/v1", "slow": "/p/5/6000/0/v1"}
PROFILE_CHUNKS = {"fast": 20, "gap": 8, "slow": 5}
GATEWAY_MODELS = {"fast": "bench-model", "gap": "bench-gap", "slow": "bench-slow"}
UPSTREAM_KEY = "sk-bench-upstream"
LITELLM_MASTER_KEY = "sk-bench-master"
PROMPT = "Say hello in one short sentence."

ALL_TARGETS = ["mock", "nginx", "litellm", "parley-sqlite", "parley-pg", "parley-redis"]
ALL_SCENARIOS = ["mockcap", "chat", "stream", "turns", "hold"]
SCENARIO_TARGETS = {
    "chat": ALL_TARGETS,
    "stream": ALL_TARGETS,
    "turns": ["parley-sqlite", "parley-pg", "parley-redis"],
    "hold": ["nginx", "litellm", "parley-sqlite", "parley-pg", "parley-redis"],
}


# ------------------------------------------------------------------------ Parley, in one place

# Every limit stays ON (each request still reserves and settles requests/minute, tokens per
# minute and per day, a concurrent-stream slot and the monthly budget) but none binds: the
# free tier's defaults (60 requests/minute, 4 streams) would turn the bench into 429s.
# Numbers rather than null, because null means "unlimited" and would skip the check.
BENCH_TIER_LIMITS = {
    "requests_per_minute": 1_000_000_000,
    "tokens_per_minute": 1_000_000_000_000,
    "tokens_per_day": 1_000_000_000_000,
    "concurrent_streams": 100_000,
    "monthly_budget": 1_000_000_000,
}
PARLEY_BASE_ENV = {
    "PARLEY_TIER_LIMITS": json.dumps({tier: BENCH_TIER_LIMITS for tier in ("free", "pro")}),
    # only the three bench models (and the built-in echo): no OPENAI_API_KEY & co. from the env
    "PARLEY_DISCOVER_PROVIDER_ENV": "false",
}


@dataclass
class ParleyConfig:
    """How Parley is started and set up. Everything Parley-specific lives here."""

    exe: Path = BENCH.parent / ".venv" / "bin" / "parley"
    url: str = ""  # when set: use this running Parley, start nothing
    pid: int = 0  # with url: the process to measure (CPU, RSS); 0 = none
    api_key: str = ""  # with url: skip the account setup and use this key
    email: str = "bench@example.com"
    username: str = "bench"
    password: str = "bench-Password-123456"
    pre_commands: list[list[str]] = field(default_factory=lambda: [["migrate"]])
    # --parley-env KEY=VALUE entries, applied after (and over) BASE_ENV
    extra_env: dict[str, str] = field(default_factory=dict)
    pg_admin_dsn: str = "postgresql://postgres@127.0.0.1:5432/test"
    pg_database: str = "parley_bench"
    # parley-redis: PostgreSQL plus Redis (shared cache, limits and breakers: scale-out mode)
    redis_url: str = "redis://127.0.0.1:6379/14"

    def serve_cmd(self, port: int) -> list[str]:
        return [str(self.exe), "serve", "--host", HOST, "--port", str(port)]

    def database_url(self, backend: str, data_dir: Path) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{data_dir}/parley.db"
        return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.pg_database}"

    def models_yaml(self, mock_port: int) -> str:
        lines = ["models:"]
        for profile, name in GATEWAY_MODELS.items():
            lines += [
                f"  - name: {name}",
                "    provider: openai",
                "    upstream_model: mock",
                f"    base_url: http://{HOST}:{mock_port}{PROFILES[profile]}",
                "    api_key_env: BENCH_UPSTREAM_KEY",
                "    context_window: 8192",
                "    tiers: [free, pro, enterprise]",
            ]
        return "\n".join(lines) + "\n"

    def env(self, backend: str, data_dir: Path, models_file: Path) -> dict[str, str]:
        redis = {"PARLEY_REDIS_URL": self.redis_url} if backend == "redis" else {}
        return {
            **os.environ,
            **PARLEY_BASE_ENV,
            "PARLEY_DATA_DIR": str(data_dir),
            "PARLEY_DATABASE_URL": self.database_url(backend, data_dir),
            "PARLEY_MODELS_FILE": str(models_file),
            "BENCH_UPSTREAM_KEY": UPSTREAM_KEY,
            **redis,
            **self.extra_env,
        }


# --------------------------------------------------------------------------------- processes


class Proc:
    """A child process in its own session, logged to a file, stopped by its group id."""

    live: list[Proc] = []

    def __init__(
        self,
        name: str,
        cmd: list[str],
        log: Path,
        core: str | None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name, self.log = name, log
        full = ["taskset", "-c", core, *cmd] if core is not None else cmd
        self.fh = log.open("wb")
        self.p = subprocess.Popen(
            full,
            stdout=self.fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        Proc.live.append(self)

    @property
    def pid(self) -> int:
        return self.p.pid

    def alive(self) -> bool:
        return self.p.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
        self.fh.close()
        if self in Proc.live:
            Proc.live.remove(self)

    def tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def stop_all() -> None:
    for p in reversed(list(Proc.live)):
        p.stop()


def http(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    token: str = "",
    timeout: float = 10.0,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")[:2000]


def start_mock(work: Path, port: int) -> Proc:
    """The mock upstream on the load generator's core, answering; logs in `work`."""
    mock = Proc(
        "mock",
        [sys.executable, str(BENCH / "mock_upstream.py"), "--port", str(port)],
        work / "mock.log",
        LOADGEN_CORE,
    )
    if err := wait_http(f"http://{HOST}:{port}/health", mock, 15):
        mock.stop()
        raise SystemExit(f"mock: {err}")
    return mock


def run_wrk(
    url: str, body_file: Path, auth: str, conns: int, seconds: float, wrk: str = "wrk"
) -> dict[str, Any]:
    """One wrk run on the load generator's core, POSTing `body_file` with bearer `auth`:
    the Lua script's BENCHJSON summary (requests, duration, latency percentiles, errors)."""
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file), "BENCH_AUTH": auth}
    cmd = ["taskset", "-c", LOADGEN_CORE, wrk, "-t1", f"-c{conns}",
           f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(LUA), url]  # fmt: skip
    r = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in r.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            out: dict[str, Any] = json.loads(line[len("BENCHJSON ") :])
            return out
    raise RuntimeError(f"wrk gave no result: {r.stdout[-500:]} {r.stderr[-500:]}")


def wait_http(url: str, proc: Proc | None, deadline_s: float) -> str | None:
    """None once ``url`` answers with any status < 500; otherwise why not."""
    end = time.monotonic() + deadline_s
    last = ""
    while time.monotonic() < end:
        if proc is not None and not proc.alive():
            return f"exited with code {proc.p.returncode}:\n{proc.tail()}"
        try:
            status, _ = http("GET", url, timeout=2)
            if status < 500:
                return None
            last = f"HTTP {status}"
        except (OSError, urllib.error.URLError) as e:
            last = str(e)
        time.sleep(0.25)
    return f"not ready after {deadline_s:.0f}s ({last})"


# ----------------------------------------------------------------------------------- targets


@dataclass
class Target:
    name: str
    base: str  # http://127.0.0.1:port
    auth: str = ""
    pid: int = 0  # process tree to measure; 0 = none
    proxied_paths: bool = False  # True: path carries the profile (mock, nginx)
    procs: list[Proc] = field(default_factory=list)

    def chat_url(self, profile: str) -> str:
        prefix = PROFILES[profile] if self.proxied_paths else "/v1"
        return f"{self.base}{prefix}/chat/completions"

    def model(self, profile: str) -> str:
        return "mock" if self.proxied_paths else GATEWAY_MODELS[profile]

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.stop()


class Harness:
    def __init__(self, args: argparse.Namespace, parley: ParleyConfig) -> None:
        self.args = args
        self.parley = parley
        # logs, generated configs and Parley's data of the latest run (git-ignored)
        self.work = BENCH / ".work" / "last"
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.run_id = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.results = load_results()
        self.mock: Proc | None = None

    def log(self, msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    # --- mock
    def start_mock(self) -> None:
        port = PORTS["mock"]
        self.mock = Proc(
            "mock",
            [self.args.python, str(BENCH / "mock_upstream.py"), "--port", str(port)],
            self.work / "mock.log",
            LOADGEN_CORE,
        )
        err = wait_http(f"http://{HOST}:{port}/health", self.mock, 15)
        if err:
            raise SystemExit(f"the mock did not start: {err}")

    # --- targets
    def start_target(self, name: str) -> Target | str:
        """A ready Target, or the reason it could not be started."""
        mock_port = PORTS["mock"]
        if name == "mock":
            assert self.mock is not None
            return Target(
                "mock", f"http://{HOST}:{mock_port}", pid=self.mock.pid, proxied_paths=True
            )
        if name == "nginx":
            return self.start_nginx(mock_port)
        if name == "litellm":
            return self.start_litellm(mock_port)
        if name.startswith("parley-"):
            return self.start_parley(name, mock_port)
        return f"unknown target {name}"

    def start_nginx(self, mock_port: int) -> Target | str:
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(exe).exists():
            return "nginx not installed (apt-get install -y nginx)"
        d = self.work / "nginx"
        d.mkdir(exist_ok=True)
        port = PORTS["nginx"]
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = d / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, dir=d, port=port, mock_port=mock_port))
        p = Proc(
            "nginx",
            [exe, "-c", str(conf), "-p", str(d), "-e", str(d / "error.log")],
            self.work / "nginx.log",
            TARGET_CORE,
        )
        t = Target("nginx", f"http://{HOST}:{port}", pid=p.pid, proxied_paths=True, procs=[p])
        err = wait_http(f"{t.base}/health", p, 15)
        if err:
            t.stop()
            return f"nginx failed to start: {err}"
        return t

    def start_litellm(self, mock_port: int) -> Target | str:
        exe = Path(self.args.litellm_exe)
        if not exe.exists():
            return f"LiteLLM not installed at {exe} (see bench/README.md)"
        cfg = self.work / "litellm.yaml"
        lines = ["model_list:"]
        for profile, model in GATEWAY_MODELS.items():
            lines += [
                f"  - model_name: {model}",
                "    litellm_params:",
                "      model: openai/mock",
                f"      api_base: http://{HOST}:{mock_port}{PROFILES[profile]}",
                f"      api_key: {UPSTREAM_KEY}",
            ]
        lines += ["general_settings:", f"  master_key: {LITELLM_MASTER_KEY}"]
        cfg.write_text("\n".join(lines) + "\n")
        port = PORTS["litellm"]
        env = {
            **os.environ,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_LOG": "ERROR",
            "LITELLM_TELEMETRY": "False",
        }
        p = Proc(
            "litellm",
            [
                str(exe),
                "--config",
                str(cfg),
                "--host",
                HOST,
                "--port",
                str(port),
                "--num_workers",
                "1",
            ],
            self.work / "litellm.log",
            TARGET_CORE,
            env=env,
        )
        t = Target(
            "litellm", f"http://{HOST}:{port}", auth=LITELLM_MASTER_KEY, pid=p.pid, procs=[p]
        )
        err = wait_http(f"{t.base}/health/liveliness", p, 120)
        if err:
            t.stop()
            return f"LiteLLM failed to start: {err}"
        return t

    def start_parley(self, name: str, mock_port: int) -> Target | str:
        cfg = self.parley
        backend = name.split("-", 1)[1]
        if cfg.url:
            base = cfg.url.rstrip("/")
            t = Target(name, base, pid=cfg.pid)
            if not base.startswith(f"http://{HOST}"):
                return f"--parley-url must be http://{HOST}:PORT (loopback only)"
            if backend != "sqlite":
                return "external Parley (--parley-url) is benched as parley-sqlite only"
        else:
            if not cfg.exe.exists():
                return f"Parley not installed: {cfg.exe} does not exist (pass --parley-exe)"
            data = self.work / name
            data.mkdir(exist_ok=True)
            models = data / "models.yaml"
            models.write_text(cfg.models_yaml(mock_port))
            if backend in ("pg", "redis"):
                err = self.fresh_pg_database()
                if err:
                    return err
            if backend == "redis":
                r = subprocess.run(
                    ["redis-cli", "-u", cfg.redis_url, "FLUSHDB"],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if r.returncode != 0:
                    return f"Redis not usable: {(r.stderr or r.stdout).strip()[-300:]}"
            env = cfg.env(backend, data, models)
            for pre in cfg.pre_commands:
                r = subprocess.run(
                    [str(cfg.exe), *pre],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                if r.returncode != 0:
                    self.log(
                        f"{name}: `parley {' '.join(pre)}` exited {r.returncode} "
                        f"(continuing): {(r.stderr or r.stdout).strip()[-300:]}"
                    )
            port = PORTS[name]
            p = Proc(name, cfg.serve_cmd(port), self.work / f"{name}.log", TARGET_CORE, env=env)
            t = Target(name, f"http://{HOST}:{port}", pid=p.pid, procs=[p])
            err = wait_http(f"{t.base}/healthz", p, 60)
            if err:
                t.stop()
                return f"Parley failed to start: {err}"
        if cfg.api_key:
            t.auth = cfg.api_key
            return t
        err = self.parley_account(t)
        if err:
            t.stop()
            return err
        return t

    def fresh_pg_database(self) -> str | None:
        db = self.parley.pg_database
        for sql in (f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"'):
            try:
                r = subprocess.run(
                    ["psql", self.parley.pg_admin_dsn, "-v", "ON_ERROR_STOP=1", "-c", sql],
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as e:
                return f"PostgreSQL not usable: {e}"
            if r.returncode != 0:
                return f"PostgreSQL not usable: {r.stderr.strip()[-300:]}"
        return None

    def parley_account(self, t: Target) -> str | None:
        """Register (first user: admin), log in, create an API key; sets t.auth."""
        c = self.parley
        try:
            st, body = http(
                "POST",
                f"{t.base}/v1/auth/register",
                {"email": c.email, "username": c.username, "password": c.password},
            )
            if st not in (200, 201, 409):
                return f"Parley register failed: HTTP {st} {str(body)[:300]}"
            st, body = http(
                "POST", f"{t.base}/v1/auth/login", {"login": c.username, "password": c.password}
            )
            if st != 200 or not isinstance(body, dict) or "access_token" not in body:
                return f"Parley login failed: HTTP {st} {str(body)[:300]}"
            st, body = http(
                "POST", f"{t.base}/v1/api-keys", {"name": "bench"}, token=body["access_token"]
            )
            if st not in (200, 201) or not isinstance(body, dict) or "key" not in body:
                return f"Parley API key creation failed: HTTP {st} {str(body)[:300]}"
        except (OSError, urllib.error.URLError) as e:
            return f"Parley setup failed: {e}"
        t.auth = str(body["key"])
        return None

    def smoke(self, t: Target) -> str | None:
        """One non-streamed request must answer 200 with a completion."""
        try:
            st, body = http(
                "POST",
                t.chat_url("fast"),
                {"model": t.model("fast"), "messages": [{"role": "user", "content": PROMPT}]},
                token=t.auth,
                timeout=30,
            )
        except (OSError, urllib.error.URLError) as e:
            return f"smoke request failed: {e}"
        if st != 200 or not isinstance(body, dict) or "choices" not in body:
            return f"smoke request: HTTP {st} {str(body)[:300]}"
        return None

    # --- measurements
    def wrk(
        self, url: str, body: dict[str, Any], auth: str, conns: int, seconds: float
    ) -> dict[str, Any]:
        bf = self.work / "body.json"
        bf.write_text(json.dumps(body))
        return run_wrk(url, bf, auth, conns, seconds, self.args.wrk)

    def load_run(
        self, t: Target, scenario: str, url: str, body: dict[str, Any], conns: int
    ) -> dict[str, Any]:
        self.wrk(url, body, t.auth, conns, self.args.warmup)
        pids = tree_pids(t.pid) if t.pid else []
        cpu0 = cpu_seconds(pids)
        res = self.wrk(url, body, t.auth, conns, self.args.duration)
        cpu1 = cpu_seconds(tree_pids(t.pid) if t.pid else [])
        n = res["requests"]
        errors = sum(
            res[k]
            for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
        )
        row = {
            "load1": round(os.getloadavg()[0], 2),  # >2 on this 2-core box: something else ran
            "run_id": self.run_id,
            "target": t.name,
            "scenario": scenario,
            "conns": conns,
            "rps": round(n / (res["duration_us"] / 1e6), 1) if res["duration_us"] else 0.0,
            "requests": n,
            "errors": errors,
            "status_errors": res["status_errors"],
            "p50_ms": res["p50_us"] / 1000,
            "p99_ms": res["p99_us"] / 1000,
            "cpu_ms_per_req": round((cpu1 - cpu0) * 1000 / n, 4) if n and t.pid else None,
            "peak_rss_mb": round(status_kb(tree_pids(t.pid), "VmHWM") / 1024, 1) if t.pid else None,
        }
        self.log(
            f"  {t.name:14} {scenario:6} c={conns:<3} {row['rps']:>9} req/s  "
            f"p50 {row['p50_ms']:.2f} ms  p99 {row['p99_ms']:.2f} ms  "
            f"cpu/req {row['cpu_ms_per_req']} ms  errors {errors}"
        )
        return row

    def scenario_chat(self, t: Target, stream: bool) -> None:
        scen = "stream" if stream else "chat"
        body: dict[str, Any] = {
            "model": t.model("fast"),
            "messages": [{"role": "user", "content": PROMPT}],
        }
        if stream:
            body["stream"] = True
        for c in self.args.conns:
            row = self.load_run(t, scen, t.chat_url("fast"), body, c)
            self.results["rows"][f"{t.name}|{scen}|{c}"] = row

    def scenario_turns(self, t: Target) -> None:
        body = {"message": PROMPT, "model": GATEWAY_MODELS["fast"]}
        answered = 0
        for c in self.args.conns:
            row = self.load_run(t, "turns", f"{t.base}/v2/chat/stream", body, c)
            self.results["rows"][f"{t.name}|turns|{c}"] = row
            answered += row["requests"]
        if not self.parley.url:
            time.sleep(3)  # usage records are flushed in batches, every second
            stored = self.stored_turns(t.name)
            stored["answered_in_measured_runs"] = answered
            stored["consistent"] = turns_consistent(stored)
            self.results["stored"][t.name] = stored
            self.log(f"  stored {t.name}: {stored}")

    def stored_turns(self, name: str) -> dict[str, Any]:
        """What the database holds after the turns runs: every turn (a new conversation)
        must have its user message, its assistant message and its usage record."""
        queries = {
            "conversations": "SELECT count(*) FROM conversations",
            "user_messages": "SELECT count(*) FROM messages WHERE role = 'user'",
            "assistant_complete": "SELECT count(*) FROM messages "
            "WHERE role = 'assistant' AND status = 'complete'",
            "assistant_other": "SELECT count(*) FROM messages "
            "WHERE role = 'assistant' AND status <> 'complete'",
            "usage_records": "SELECT count(*) FROM usage_logs WHERE endpoint = 'chat.stream'",
        }
        out: dict[str, Any] = {}
        for key, sql in queries.items():
            if name == "parley-sqlite":
                with contextlib.closing(sqlite3.connect(self.work / name / "parley.db")) as db:
                    out[key] = int(db.execute(sql).fetchone()[0])
            else:
                dsn = self.parley.pg_admin_dsn.rsplit("/", 1)[0] + "/" + self.parley.pg_database
                r = subprocess.run(
                    ["psql", dsn, "-tAc", sql], capture_output=True, text=True, check=False
                )
                out[key] = int(r.stdout.strip() or -1)
        return out

    def probe(self, t: Target, mock: Target) -> None:
        specs = [
            {"label": "mock", "url": mock.chat_url("gap"), "model": mock.model("gap")},
            {"label": t.name, "url": t.chat_url("gap"), "model": t.model("gap"), "auth": t.auth},
        ]
        cmd = [
            "taskset",
            "-c",
            LOADGEN_CORE,
            self.args.python,
            str(BENCH / "stream_probe.py"),
            "--requests",
            str(self.args.probe_requests),
        ]
        for s in specs:
            cmd += ["--target", json.dumps(s)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        try:
            out = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.log(f"  probe failed: {r.stderr[-500:]}")
            return
        out["run_id"] = self.run_id
        self.results["probe"][t.name] = out
        d, g = out["mock"], out[t.name]

        def m(x: dict[str, Any], k: str, q: str = "p50") -> float:
            return float(x.get(k, {}).get(q, float("nan")))

        self.log(
            f"  probe {t.name}: TTFC p50 {m(g, 'ttfc_ms'):.2f} ms (mock "
            f"{m(d, 'ttfc_ms'):.2f}), inter-chunk p50 {m(g, 'inter_chunk_ms'):.2f} ms "
            f"(mock {m(d, 'inter_chunk_ms'):.2f}), ok {g['ok']} failed {g['failed']}"
        )

    def hold(self, t: Target) -> None:
        n = self.args.hold_streams
        cmd = [
            "taskset",
            "-c",
            LOADGEN_CORE,
            self.args.python,
            str(BENCH / "hold_streams.py"),
            "--url",
            t.chat_url("slow"),
            "--model",
            t.model("slow"),
            "--auth",
            t.auth,
            "--streams",
            str(n),
            "--expect-chunks",
            str(PROFILE_CHUNKS["slow"]),
        ]
        if t.pid:
            cmd += ["--pid", str(t.pid)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=400, check=False)
        try:
            out = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.log(f"  hold failed: {r.stderr[-500:]}")
            return
        out["run_id"] = self.run_id
        self.results["hold"][t.name] = out
        self.log(
            f"  hold {t.name}: {out['completed']}/{n} completed, dropped {out['dropped']}, "
            f"{out['kb_per_open_stream']} KiB per open stream, failures {out['failures']}"
        )

    def mockcap(self) -> None:
        """The mock alone on core 1 (wrk on core 0): its ceiling, per implementation."""
        port = PORTS["mockcap"]
        for impl in ("protocol", "asgi"):
            p = Proc(
                f"mock-{impl}",
                [
                    self.args.python,
                    str(BENCH / "mock_upstream.py"),
                    "--port",
                    str(port),
                    "--impl",
                    impl,
                ],
                self.work / f"mockcap-{impl}.log",
                TARGET_CORE,
            )
            try:
                err = wait_http(f"http://{HOST}:{port}/health", p, 15)
                if err:
                    self.log(f"  mock {impl} failed: {err}")
                    continue
                t = Target(f"mock-{impl}", f"http://{HOST}:{port}", pid=p.pid, proxied_paths=True)
                for stream in (False, True):
                    body: dict[str, Any] = {
                        "model": "mock",
                        "stream": stream,
                        "messages": [{"role": "user", "content": PROMPT}],
                    }
                    scen = "stream" if stream else "chat"
                    row = self.load_run(t, scen, t.chat_url("fast"), body, 64)
                    self.results["mockcap"][f"{impl}|{scen}"] = row
            finally:
                p.stop()

    # --- the run
    def run(self) -> None:
        a = self.args
        self.results["runs"][self.run_id] = {
            "targets": a.targets,
            "scenarios": a.scenarios,
            "conns": a.conns,
            "duration_s": a.duration,
            "warmup_s": a.warmup,
            "machine": machine(),
            "load_at_start": [round(x, 2) for x in os.getloadavg()],
            "note": a.note,
        }
        if "mockcap" in a.scenarios:
            self.log("mockcap: the mock alone, pinned to core 1")
            self.mockcap()
        load_scen = [s for s in a.scenarios if s != "mockcap"]
        if not load_scen:
            return
        self.start_mock()
        mock_t = self.start_target("mock")
        assert isinstance(mock_t, Target)
        targets = list(a.targets)
        if any(s in load_scen for s in ("chat", "stream", "turns")) and "mock" not in targets:
            targets.insert(0, "mock")  # the baseline is always measured in the same run
        for name in targets:
            scen = [s for s in load_scen if name in SCENARIO_TARGETS[s]]
            if name == "mock" and "turns" in load_scen and "stream" not in scen:
                scen.append("stream")  # turns are compared with a direct streamed call
            if not scen:
                continue
            self.log(f"{name}: starting")
            t = self.start_target(name)
            if isinstance(t, str):
                self.log(f"{name}: NOT MEASURED: {t}")
                self.results["status"][name] = {"run_id": self.run_id, "error": t}
                continue
            try:
                err = self.smoke(t)
                if err:
                    self.log(f"{name}: NOT MEASURED: {err}")
                    self.results["status"][name] = {"run_id": self.run_id, "error": err}
                    continue
                self.results["status"][name] = {"run_id": self.run_id, "error": None}
                if t.pid and name != "mock":
                    # after start-up, account setup and one smoke request, before any load
                    rss = status_kb(tree_pids(t.pid), "VmRSS") / 1024
                    self.results["status"][name]["idle_rss_mb"] = round(rss, 1)
                for s in scen:
                    if s == "chat":
                        self.scenario_chat(t, stream=False)
                    elif s == "stream":
                        self.scenario_chat(t, stream=True)
                        if name != "mock":
                            self.probe(t, mock_t)
                    elif s == "turns":
                        self.scenario_turns(t)
                    elif s == "hold":
                        self.hold(t)
                    save_results(self.results)
            finally:
                if name != "mock":
                    t.stop()
        if self.mock is not None:
            self.mock.stop()


NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
worker_rlimit_nofile 40000;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream mock {{
        server 127.0.0.1:{mock_port};
        keepalive 256;
        keepalive_requests 1000000;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        keepalive_requests 1000000;
        location / {{
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "cores": os.cpu_count(), "python": sys.version.split()[0]}


# ----------------------------------------------------------------------------------- results


def load_results() -> dict[str, Any]:
    empty: dict[str, Any] = {
        "runs": {},
        "rows": {},
        "probe": {},
        "hold": {},
        "status": {},
        "mockcap": {},
        "stored": {},
    }
    try:
        data = json.loads(RESULTS_JSON.read_text())
    except (OSError, ValueError):
        return empty
    return {**empty, **data}


def prune_runs(results: dict[str, Any]) -> None:
    """Forget runs no measurement refers to any more (all of theirs were re-measured)."""
    used = {
        v.get("run_id")
        for part in ("rows", "probe", "hold", "status", "mockcap")
        for v in results[part].values()
        if isinstance(v, dict)
    }
    results["runs"] = {k: v for k, v in results["runs"].items() if k in used}


def save_results(results: dict[str, Any]) -> None:
    prune_runs(results)
    RESULTS_JSON.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    RESULTS_MD.write_text(render(results))


def fmt(v: Any, nd: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def render(res: dict[str, Any]) -> str:
    rows, status = res["rows"], res["status"]
    out = [
        "# Parley benchmark results",
        "",
        "Generated by `bench/run.py` from `bench/results.json`; see `bench/README.md` for "
        "what is measured and how to read it. Load generator and mock on core 0, target "
        "on core 1. \"added\" = the target's latency minus the mock's (called directly, "
        "same run, same concurrency). CPU/req and peak RSS are the target's process tree.",
        "",
    ]
    runs = res["runs"]
    if runs:
        out.append(
            "Runs included: "
            + ", ".join(
                f"`{k}` ({v['duration_s']}s runs after {v['warmup_s']}s warm-up)"
                for k, v in sorted(runs.items())
            )
            + "."
        )
        m = runs[max(runs)]["machine"]
        out += ["", f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}.", ""]
        for k, v in sorted(runs.items()):
            if v.get("note"):
                out += [f"**Note on run `{k}`:** {v['note']}", ""]
    if res["mockcap"]:
        out += [
            "## The mock alone (core 1, wrk on core 0, 64 connections)",
            "",
            "| implementation | scenario | req/s | p50 ms | p99 ms | CPU ms/req |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for k, r in sorted(res["mockcap"].items()):
            impl, scen = k.split("|")
            out.append(
                f"| {impl} | {scen} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'])} | "
                f"{fmt(r['p99_ms'])} | {fmt(r['cpu_ms_per_req'], 4)} |"
            )
        out.append("")
    titles = {
        "chat": "Scenario 1: `POST /v1/chat/completions`, non-streamed",
        "stream": "Scenario 2: `POST /v1/chat/completions`, streamed (20 chunks, no gap)",
        "turns": "Scenario 3: `POST /v2/chat/stream` (turns/s; added vs the streamed mock)",
    }
    conns = sorted({r["conns"] for r in rows.values()}) or [1, 16, 64]
    for scen, title in titles.items():
        out += [
            f"## {title}",
            "",
            "| target | conc. | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms "
            "| CPU ms/req | peak RSS MiB | errors | load |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        targets = SCENARIO_TARGETS[scen]
        for name in targets:
            for c in conns:
                r = rows.get(f"{name}|{scen}|{c}")
                if r is None:
                    why = (status.get(name) or {}).get("error") or "not yet measured"
                    out.append(f"| {name} | {c} | {why.splitlines()[0][:120]} | | | | | | | | |")
                    continue
                base_scen = "stream" if scen == "turns" else scen
                b = rows.get(f"mock|{base_scen}|{c}")
                same = b is not None and b["run_id"] == r["run_id"]
                star = "" if same else "*"
                add50 = f"{r['p50_ms'] - b['p50_ms']:.2f}{star}" if b and name != "mock" else "-"
                add99 = f"{r['p99_ms'] - b['p99_ms']:.2f}{star}" if b and name != "mock" else "-"
                out.append(
                    f"| {name} | {c} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'])} | "
                    f"{fmt(r['p99_ms'])} | {add50} | {add99} | {fmt(r['cpu_ms_per_req'], 3)} | "
                    f"{fmt(r['peak_rss_mb'], 1)} | {r['errors']} | {fmt(r.get('load1'))} |"
                )
        out.append("")
    out += [
        "Rows marked * compare against a mock row from a different run.",
        "",
        "## Scenario 2b: streaming latency at concurrency 1 (8 chunks, 10 ms apart)",
        "",
        "Requests alternate between the target and the mock called directly, in the same "
        "probe run. TTFC = time to the first content chunk.",
        "",
        "| target | ok/failed | TTFC p50 ms | mock TTFC p50 | added TTFC p50 | added TTFC p99 "
        "| inter-chunk p50 ms | mock inter-chunk p50 | added per chunk (mean) ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ALL_TARGETS[1:]:
        p = res["probe"].get(name)
        if not p:
            why = (status.get(name) or {}).get("error") or "not yet measured"
            out.append(f"| {name} | {why.splitlines()[0][:120]} | | | | | | | |")
            continue
        g, d = p[name], p["mock"]

        def s(x: dict[str, Any], k: str, q: str) -> float:
            return float(x.get(k, {}).get(q, float("nan")))

        ttfc_g, ttfc_d = s(g, "ttfc_ms", "p50"), s(d, "ttfc_ms", "p50")
        out.append(
            f"| {name} | {g['ok']}/{g['failed']} | {ttfc_g:.2f} | "
            f"{ttfc_d:.2f} | {ttfc_g - ttfc_d:.2f} | "
            f"{s(g, 'ttfc_ms', 'p99') - s(d, 'ttfc_ms', 'p99'):.2f} | "
            f"{s(g, 'inter_chunk_ms', 'p50'):.2f} | {s(d, 'inter_chunk_ms', 'p50'):.2f} | "
            f"{s(g, 'inter_chunk_ms', 'mean') - s(d, 'inter_chunk_ms', 'mean'):.3f} |"
        )
    out += [
        "",
        "## Scenario 4: streams held open against a slow upstream (5 chunks, 6 s apart)",
        "",
        "| target | streams | completed | dropped | open at sample | RSS delta MiB "
        "| KiB per open stream | all first bytes after s | failures |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in SCENARIO_TARGETS["hold"]:
        h = res["hold"].get(name)
        if not h:
            why = (status.get(name) or {}).get("error") or "not yet measured"
            out.append(f"| {name} | {why.splitlines()[0][:120]} | | | | | | | |")
            continue
        out.append(
            f"| {name} | {h['streams']} | {h['completed']} | {h['dropped']} | "
            f"{fmt(h['open_at_sample'])} | {h['rss_delta_kb'] / 1024:.1f} | "
            f"{fmt(h['kb_per_open_stream'], 1)} | {fmt(h['first_chunk_all_s'], 1)} | "
            f"{json.dumps(h['failures']) if h['failures'] else '-'} |"
        )
    out += render_extra(res)
    fails = {k: v["error"] for k, v in status.items() if v.get("error")}
    if fails:
        out += ["", "## Targets not measured in their last run", ""]
        for k, v in sorted(fails.items()):
            out += [f"- **{k}**:", "", "  ```", *("  " + ln for ln in v.splitlines()[:20]), "  ```"]
    return "\n".join(out) + "\n"


BASELINE_JSON = BENCH / "results-baseline.json"
NOTES_MD = BENCH / "NOTES.md"
PARLEYS = ("parley-sqlite", "parley-pg", "parley-redis")


def _num(x: Any) -> float:
    return float(x) if x is not None else float("nan")


def target_checks(res: dict[str, Any], name: str) -> list[tuple[str, str, str, bool]]:
    """(target, threshold, measured, met) for one Parley target, from the latest rows."""
    rows, probe, hold = res["rows"], res["probe"].get(name), res["hold"].get(name)
    checks: list[tuple[str, str, str, bool]] = []
    r64, r1 = rows.get(f"{name}|chat|64"), rows.get(f"{name}|chat|1")
    m1, lite = rows.get("mock|chat|1"), rows.get("litellm|chat|64")
    if r64:
        checks.append(("S1 req/s at 64", ">= 5,000", fmt(r64["rps"], 0), r64["rps"] >= 5000))
        if lite and lite["rps"]:
            ratio = r64["rps"] / lite["rps"]
            checks.append(("S1 vs LiteLLM at 64", ">= 50x", f"{ratio:.1f}x", ratio >= 50))
        cpu = _num(r64["cpu_ms_per_req"])
        checks.append(("S1 CPU per request (64)", "<= 0.2 ms", f"{cpu:.3f} ms", cpu <= 0.2))
    if r1 and m1:
        added = r1["p50_ms"] - m1["p50_ms"]
        checks.append(("S1 added p50 at 1", "<= 0.4 ms", f"{added:.2f} ms", added <= 0.4))
    if probe:
        g, d = probe[name], probe["mock"]
        ttfc = g["ttfc_ms"]["p50"] - d["ttfc_ms"]["p50"]
        chunk = g["inter_chunk_ms"]["mean"] - d["inter_chunk_ms"]["mean"]
        checks.append(("S2 added TTFC p50", "<= 1 ms", f"{ttfc:.2f} ms", ttfc <= 1))
        checks.append(("S2 added per chunk", "<= 0.05 ms", f"{chunk:.3f} ms", chunk <= 0.05))
    stored = res["stored"].get(name)
    if stored:
        checks.append(
            (
                "S3 every turn stored",
                "2 messages + usage each",
                f"{stored['conversations']:,} turns, consistent={turns_consistent(stored)}",
                turns_consistent(stored),
            )
        )
    if hold:
        kib = _num(hold["kb_per_open_stream"])
        checks.append(("S4 dropped of 5,000", "0", str(hold["dropped"]), hold["dropped"] == 0))
        checks.append(("S4 memory per open stream", "<= 100 KB", f"{kib:.1f} KiB", kib <= 97.6))
    idle = (res["status"].get(name) or {}).get("idle_rss_mb")
    if idle is not None:
        checks.append(("Idle RSS of one worker", "<= 120 MB", f"{idle:.1f} MiB", idle <= 114.4))
    return checks


def turns_consistent(st: dict[str, Any]) -> bool:
    """Every turn has its user message and its usage record, and every turn wrk saw
    answered has a complete assistant message. (A turn cut off by the end of a wrk run
    before the first token has no assistant message: nothing was said yet; its usage record
    says `cancelled`.)"""
    return bool(
        st["conversations"] == st["user_messages"] == st["usage_records"]
        and st["assistant_complete"] >= st["answered_in_measured_runs"]
    )


def render_extra(res: dict[str, Any]) -> list[str]:
    out: list[str] = []
    stored = res["stored"]
    if stored:
        out += [
            "",
            "## Scenario 3: what the database holds after the turns runs",
            "",
            "Counted in the database after the runs (warm-ups included, so there are more "
            "turns than wrk counted in the measured runs). Each run of wrk ends by closing "
            "its connections: a turn cut off mid-reply is stored `incomplete`, one cut off "
            "before the first token has no assistant message (nothing was said yet) — its "
            "user message and its usage record (`cancelled`) are there. *consistent*: "
            "conversations = user messages = usage records, and at least one complete "
            "assistant message per turn wrk saw answered.",
            "",
            "| target | turns answered (measured runs) | conversations | user messages "
            "| assistant complete | assistant other | no assistant message | usage records "
            "| consistent |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name, st in sorted(stored.items()):
            missing = st["conversations"] - st["assistant_complete"] - st["assistant_other"]
            out.append(
                f"| {name} | {st['answered_in_measured_runs']:,} | {st['conversations']:,} | "
                f"{st['user_messages']:,} | {st['assistant_complete']:,} | "
                f"{st['assistant_other']:,} | {missing:,} | {st['usage_records']:,} | "
                f"{turns_consistent(st)} |"
            )
    idle = {k: v["idle_rss_mb"] for k, v in res["status"].items() if v.get("idle_rss_mb")}
    if idle:
        out += ["", "## Idle RSS (after start-up, setup and one request)", ""]
        out += ["| target | RSS MiB |", "|---|---:|"]
        out += [f"| {k} | {v:.1f} |" for k, v in sorted(idle.items())]
    for name in PARLEYS:
        checks = target_checks(res, name)
        if not checks:
            continue
        out += ["", f"## Targets: {name}", "", "| target | wanted | measured | met |"]
        out.append("|---|---|---|---|")
        out += [f"| {t} | {w} | {m} | {'yes' if ok else '**no**'} |" for t, w, m, ok in checks]
    try:
        base = json.loads(BASELINE_JSON.read_text())
    except (OSError, ValueError):
        base = None
    if base:
        out += [
            "",
            "## Before and after (Parley only)",
            "",
            "Before: the code this work started from, measured by this harness "
            f"(`{BASELINE_JSON.name}`, run "
            f"{', '.join(sorted({r['run_id'] for k, r in base['rows'].items() if 'parley' in k}))}"
            "). Machine load "
            "differs between runs: compare CPU ms/req first.",
            "",
            "| target | scenario | conc. | req/s before | req/s after | CPU ms/req before "
            "| CPU ms/req after | p50 ms before | p50 ms after |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for key, b in sorted(base["rows"].items()):
            a = res["rows"].get(key)
            if not key.startswith("parley") or a is None:
                continue
            out.append(
                f"| {b['target']} | {b['scenario']} | {b['conns']} | {fmt(b['rps'], 0)} | "
                f"{fmt(a['rps'], 0)} | {fmt(b['cpu_ms_per_req'], 3)} | "
                f"{fmt(a['cpu_ms_per_req'], 3)} | {fmt(b['p50_ms'])} | {fmt(a['p50_ms'])} |"
            )
        for name in PARLEYS:
            bh, ah = base.get("hold", {}).get(name), res["hold"].get(name)
            if bh and ah:
                out.append(
                    f"| {name} | hold | 5,000 | dropped {bh['dropped']}, "
                    f"{fmt(bh['kb_per_open_stream'], 1)} KiB/stream | dropped {ah['dropped']}, "
                    f"{fmt(ah['kb_per_open_stream'], 1)} KiB/stream | | | | |"
                )
            bp, ap = base.get("probe", {}).get(name), res["probe"].get(name)
            if bp and ap:
                before = bp[name]["ttfc_ms"]["p50"] - bp["mock"]["ttfc_ms"]["p50"]
                after = ap[name]["ttfc_ms"]["p50"] - ap["mock"]["ttfc_ms"]["p50"]
                out.append(
                    f"| {name} | added TTFC p50 | 1 | {before:.2f} ms | {after:.2f} ms | | | | |"
                )
    if NOTES_MD.exists():
        out += ["", NOTES_MD.read_text().rstrip()]
    return out


# -------------------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--all", action="store_true", help="every target and scenario")
    ap.add_argument("--target", action="append", choices=ALL_TARGETS, help="repeatable")
    ap.add_argument("--scenario", action="append", choices=ALL_SCENARIOS, help="repeatable")
    ap.add_argument("--conns", default="1,16,64", help="comma-separated concurrencies")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up before each")
    ap.add_argument("--probe-requests", type=int, default=40)
    ap.add_argument("--hold-streams", type=int, default=5000)
    ap.add_argument("--python", default=sys.executable, help="python for mock and probes")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    ap.add_argument("--litellm-exe", default="/tmp/parley-bench/litellm-venv/bin/litellm")
    ap.add_argument("--parley-exe", type=Path, default=ParleyConfig.exe)
    ap.add_argument("--parley-url", default="", help="bench a running Parley instead")
    ap.add_argument("--parley-pid", type=int, default=0, help="with --parley-url")
    ap.add_argument("--parley-api-key", default="", help="skip the account setup")
    ap.add_argument("--parley-user", default=ParleyConfig.username)
    ap.add_argument("--parley-email", default=ParleyConfig.email)
    ap.add_argument("--parley-password", default=ParleyConfig.password)
    ap.add_argument("--parley-env", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument(
        "--parley-no-migrate",
        action="store_true",
        help="do not run `parley migrate` before `parley serve`",
    )
    ap.add_argument("--note", default="", help="a remark stored with the run, shown in RESULTS")
    ap.add_argument("--render-only", action="store_true", help="rewrite RESULTS.md and exit")
    a = ap.parse_args()
    if a.render_only:
        save_results(load_results())
        return
    if not a.all and not a.target and not a.scenario:
        ap.error("say --all, or pick --target and/or --scenario")
    a.targets = ALL_TARGETS if a.all or not a.target else a.target
    a.scenarios = ALL_SCENARIOS if a.all or not a.scenario else a.scenario
    a.conns = [max(1, min(int(c), 1000)) for c in a.conns.split(",")]
    a.duration = max(1.0, min(a.duration, 120.0))
    a.warmup = max(1.0, min(a.warmup, 60.0))
    a.hold_streams = max(1, min(a.hold_streams, 9000))
    for tool in ("taskset", a.wrk):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found (apt-get install -y util-linux wrk)")
    parley = ParleyConfig(
        exe=a.parley_exe.resolve(),
        url=a.parley_url,
        pid=a.parley_pid,
        api_key=a.parley_api_key,
        username=a.parley_user,
        email=a.parley_email,
        password=a.parley_password,
        pre_commands=[] if a.parley_no_migrate else [["migrate"]],
        extra_env=dict(kv.split("=", 1) for kv in a.parley_env),
    )
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    h = Harness(a, parley)
    t0 = time.monotonic()
    try:
        h.run()
    finally:
        stop_all()
        save_results(h.results)
    h.log(f"done in {time.monotonic() - t0:.0f}s; wrote {RESULTS_MD}")


if __name__ == "__main__":
    main()
