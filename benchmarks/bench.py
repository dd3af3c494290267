"""Benchmark WispHub API on this machine and write a Markdown report.

Run from the repository root: ``make bench`` or ``.venv/bin/python -m benchmarks.bench``.
It starts the WispHub Net sandbox (realistic latency: 300-600 ms a call, 5 ms a row) and the API
under gunicorn (gunicorn.conf.py, gevent workers), each on a free port, waits for /health/ready,
then measures with Locust:

1. the original scenario at 50 and at 500 users (--duration seconds each), and at 50 users once
   more with Locust in one process per core (``--processes -1``, as ``make loadtest`` runs it):
   one Python process's event loop is the load generator's bottleneck well before the API's;
2. saturation: the original mix with no wait, 50 users (half of --duration), then the 50-user
   run on cores and the same saturation plan once more against a second API whose workers share
   Redis (its failures must be 0 too: honest concurrent verifications of client 7 are never
   refused);
3. the bare ceiling: GET /health and each cached route alone, no wait (a third of --duration each,
   with FastHttpUser and with HttpUser);
4. cold against warm: the first request on a fresh server with WARMUP_ON_START=false, then the same
   request answered from the cache.

``--phases`` runs only the phases named (``--phases saturation,saturation-redis``); the report
then holds only those. It writes results/bench-<timestamp>.md, and docs/benchmarks/latest.md
when every Locust phase ran; Locust's CSVs and the logs are in results/bench-<timestamp>/. Every
process it started is stopped at the end, on an error and on Ctrl-C (SIGTERM, a bounded wait,
then SIGKILL).
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import shlex
import signal
import sys
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import machine as machine_info
from benchmarks import per_request, saturation
from benchmarks.phases import (
    ColdWarm,
    LocustPlan,
    PhaseError,
    PhaseResult,
    measure_cold_warm,
    run_phase,
)
from benchmarks.report import BenchResult, render
from benchmarks.stack import ROOT, Answer, Gunicorn, Sandbox, StackError
from benchmarks.stats import StatsError, UpstreamCalls, upstream_delta
from benchmarks.wrkrun import WrkError
from loadtests.common import config as loadtest_config
from wisphub_api.sandbox.options import DEMO_API_KEY

DEFAULT_REPORT = ROOT / "docs" / "benchmarks" / "latest.md"
READY_TIMEOUT_S = 120.0
# Ready answers in a row (clients and plans warm) before measuring: each worker answers for
# itself, and fresh connections spread over the workers.
READY_STREAK = 20
CEILING_PATHS = (
    "/health",
    "/api/v1/clients/",
    "/api/v1/clients/search?q=Esperanza",
    "/api/v1/internet-plans/",
)
COLD_PATHS = (
    "/api/v1/clients/",
    "/api/v1/clients/search?q=Esperanza",
    "/api/v1/clients/by-service-id/7",
    "/api/v1/internet-plans/",
)
CLIENTS = {"fast": "FastPathUser", "requests": "RequestsPathUser"}
# Every phase, in the order they run: the Locust plans on the SimpleCache API, the saturation
# plan on an API sharing Redis, the bare ceiling, cold against warm, and the wrk phase.
PHASES = (
    "original-low",
    "original-cores",
    "original-high",
    "saturation",
    "original-cores-redis",
    "saturation-redis",
    "ceiling",
    "cold",
    "wrk",
)


def progress(message: str) -> None:
    """Print one progress line."""
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0]
    )
    add = parser.add_argument
    add("--duration", type=int, default=60, help="seconds of each original-scenario run (60)")
    add("--users-low", type=int, default=50, help="users of the first original run (50)")
    add("--users-high", type=int, default=500, help="users of the second original run (500)")
    add("--saturation-users", type=int, default=50, help="users of the no-wait runs (50)")
    add(
        "--workers",
        type=int,
        default=machine_info.usable_cores(),
        help="gunicorn workers, WEB_CONCURRENCY (default: the usable cores)",
    )
    add("--clients", default="fast,requests", help="Locust clients of the ceiling (fast,requests)")
    add(
        "--report",
        type=Path,
        default=None,
        help="report path (docs/benchmarks/latest.md when every phase runs)",
    )
    add("--results", type=Path, default=ROOT / "results", help="directory of run files (results/)")
    add("--keep-logs", action="store_true", help="keep gunicorn's logs (large: a line a request)")
    add("--saturation-seconds", type=int, default=20, help="seconds of each wrk run (20)")
    add("--saturation-caches", default="simple,redis", help="caches of the wrk phase (both)")
    add("--no-saturation", action="store_true", help="skip the wrk and overload phase")
    add("--phases", default=",".join(PHASES), help="phases to run, comma-separated (all)")
    add("--redis-url", default=saturation.REDIS_URL, help="Redis of the saturation-redis phase")
    args = parser.parse_args(argv)
    unknown = set(args.clients.split(",")) - set(CLIENTS)
    if args.duration < 10 or unknown:
        parser.error("--duration must be at least 10; --clients takes fast and/or requests")
    args.phases = [name.strip() for name in args.phases.split(",") if name.strip()]
    if not args.phases or set(args.phases) - set(PHASES):
        parser.error(f"--phases takes some of: {', '.join(PHASES)}")
    if args.no_saturation and "wrk" in args.phases:
        args.phases.remove("wrk")
    return args


def load_plans(args: argparse.Namespace) -> list[LocustPlan]:
    """Return the original-scenario runs and the saturation run."""
    original = "loadtests/locustfiles/original.py"
    saturation = "loadtests/locustfiles/saturation.py"
    return [
        LocustPlan(
            "original-low",
            f"Original scenario, {args.users_low} users",
            original,
            args.users_low,
            args.duration,
            "WispHubAPIUser",
        ),
        LocustPlan(
            "original-cores",
            f"Original scenario, {args.users_low} users, Locust in one process per core",
            original,
            args.users_low,
            args.duration,
            "WispHubAPIUser",
            processes=-1,
        ),
        LocustPlan(
            "original-high",
            f"Original scenario, {args.users_high} users",
            original,
            args.users_high,
            args.duration,
            "WispHubAPIUser",
        ),
        LocustPlan(
            "saturation",
            f"Saturation: original mix, no wait, {args.saturation_users} users",
            saturation,
            args.saturation_users,
            max(10, args.duration // 2),
            "SaturationUser",
        ),
    ]


def ceiling_plans(args: argparse.Namespace) -> list[LocustPlan]:
    """Return one no-wait run per Locust client and path."""
    plans = []
    for client in args.clients.split(","):
        for index, path in enumerate(CEILING_PATHS):
            plans.append(
                LocustPlan(
                    f"ceiling-{client}-{index}",
                    f"Ceiling GET {path} ({client})",
                    "benchmarks/locust_ceiling.py",
                    args.saturation_users,
                    max(10, args.duration // 3),
                    CLIENTS[client],
                    {"BENCH_PATH": path},
                )
            )
    return plans


# Phases run once more against the API whose workers share Redis: (its key, the plan's).
REDIS_PHASES = (("original-cores-redis", "original-cores"), ("saturation-redis", "saturation"))


def redis_plans(args: argparse.Namespace) -> list[LocustPlan]:
    """Return the chosen plans to run once more, against the API whose workers share Redis."""
    plans = {plan.key: plan for plan in load_plans(args)}
    return [
        dataclasses.replace(
            plans[base], key=key, title=f"{plans[base].title}, 2 workers sharing Redis"
        )
        for key, base in REDIS_PHASES
        if key in args.phases
    ]


def api_env(sandbox_url: str, key: str, workers: int) -> dict[str, str]:
    """Return the environment of the API server under test."""
    return {
        "WISPHUB_NET_HOST": sandbox_url,
        "WISPHUB_NET_KEY": DEMO_API_KEY,
        "WISPHUB_INTERNAL_API_KEY": key,
        "APP_ENV": "development",
        "WEB_CONCURRENCY": str(workers),
    }


def app_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Return the settings the API reads with `env` on top (as create_app does)."""
    import os

    from dotenv import dotenv_values

    from wisphub_api.config import load_config

    env_file = ROOT / ".env"
    file_values = dotenv_values(env_file) if env_file.is_file() else {}
    return load_config({**{k: v or "" for k, v in file_values.items()}, **os.environ, **env})


def settings_rows(
    args: argparse.Namespace, env: Mapping[str, str], sandbox: Sandbox, workers: int, ready_s: float
) -> dict[str, str]:
    """Describe the set-up for the report."""
    app, knobs = app_settings(env), sandbox.control("GET", "/__latency")
    return {
        "API server": f"`gunicorn -c gunicorn.conf.py`, {workers} gevent workers",
        "Cache": f"{app['CACHE_TYPE']} per worker, clients TTL {app['CLIENTS_CACHE_TTL']} s, "
        f"plans TTL {app['PLANS_CACHE_TTL']} s, refresh ahead at "
        f"{app['REFRESH_AHEAD_FRACTION']:g} of the TTL",
        "Sandbox (WispHub Net)": f"1500 clients, {knobs['latency_ms']} ms a call + "
        f"{knobs['per_row_ms']:g} ms a row",
        "Ready": f"{READY_STREAK} ready answers in a row {ready_s:.1f} s after start",
        "Load generator": (
            "Locust on the same machine: one process, or one per core where the run says so"
        ),
        "Durations": f"{args.duration} s per original run, {max(10, args.duration // 2)} s "
        f"saturation, {max(10, args.duration // 3)} s per ceiling run",
    }


def run_phases(
    plans: list[LocustPlan], api: Gunicorn, sandbox: Sandbox, out_dir: Path, key: str
) -> list[PhaseResult]:
    """Run Locust plans one after the other, printing a line for each."""
    results = []
    for plan in plans:
        progress(f"{plan.title}: {plan.users} users for {plan.duration_s} s ...")
        result = run_phase(plan, api, sandbox, out_dir, {"WISPHUB_API_KEY": key})
        total = result.total
        progress(
            f"  {total.rps:.1f} req/s, {total.failures} failures of {total.requests}, "
            f"p95 {total.p95_ms} ms, upstream calls {result.upstream.total}"
        )
        results.append(result)
    return results


def start_api(
    out_dir: Path, env: Mapping[str, str], name: str, stack: ExitStack
) -> tuple[Gunicorn, float]:
    """Start an API server and wait until every worker has the clients and the plans."""
    api = Gunicorn(out_dir, env, name=name)
    stack.callback(api.stop)
    api.start(wait=False)
    progress(f"API {name} on {api.url}; waiting for /health/ready")
    ready_s = api.wait_ready(READY_TIMEOUT_S, streak=READY_STREAK, ready=plans_warm)
    progress(f"ready after {ready_s:.1f} s")
    return api, ready_s


@dataclass
class Measured:
    """What the Locust phases measured so far, and the settings they ran with."""

    settings: dict[str, str] = field(default_factory=dict)
    startup: UpstreamCalls = field(default_factory=lambda: UpstreamCalls(0, {}))
    load: list[PhaseResult] = field(default_factory=list)
    ceiling: list[PhaseResult] = field(default_factory=list)


def run_on_simple_cache(
    args: argparse.Namespace, sandbox: Sandbox, out_dir: Path, key: str, stack: ExitStack
) -> Measured:
    """Run the chosen Locust phases on the default API (SimpleCache, the embedded store)."""
    plans = [plan for plan in load_plans(args) if plan.key in args.phases]
    if not plans and "ceiling" not in args.phases:
        return Measured()
    env = api_env(sandbox.url, key, args.workers)
    api, ready_s = start_api(out_dir, env, "api", stack)
    startup = upstream_delta({}, sandbox.stats())
    progress(f"warm-up made {startup.total} upstream calls")
    measured = Measured(settings_rows(args, env, sandbox, api.worker_count(), ready_s), startup)
    measured.load = run_phases(plans, api, sandbox, out_dir, key)
    if "ceiling" in args.phases:
        measured.ceiling = run_phases(ceiling_plans(args), api, sandbox, out_dir, key)
    api.stop()
    return measured


def run_on_redis(
    args: argparse.Namespace, sandbox: Sandbox, out_dir: Path, key: str, stack: ExitStack
) -> list[PhaseResult]:
    """Run the chosen Redis plans against an API whose workers share Redis."""
    prefix = f"bench-{secrets.token_hex(6)}:"  # a prefix of its own: no other run's keys
    env = {**api_env(sandbox.url, key, args.workers), "CACHE_REDIS_URL": args.redis_url}
    api, _ready = start_api(out_dir, {**env, "CACHE_KEY_PREFIX": prefix}, "api-redis", stack)
    try:
        return run_phases(redis_plans(args), api, sandbox, out_dir, key)
    finally:
        api.stop()


def run_bench(args: argparse.Namespace, out_dir: Path, stack: ExitStack) -> BenchResult:
    """Start the stack, run the chosen phases, return the numbers (processes stop via `stack`)."""
    key = "bench-" + secrets.token_hex(12)
    machine = machine_info.describe()
    sandbox = Sandbox(log_path=out_dir / "sandbox.log")
    stack.callback(sandbox.stop)
    sandbox.start()
    progress(f"sandbox on {sandbox.url}; phases: {', '.join(args.phases)}")
    measured = run_on_simple_cache(args, sandbox, out_dir, key, stack)
    if redis_plans(args):
        measured.load += run_on_redis(args, sandbox, out_dir, key, stack)
        measured.settings["Redis run"] = (
            f"{', '.join(plan.key for plan in redis_plans(args))}: the plans once more on a "
            f"second API, {args.workers} workers sharing Redis ({args.redis_url}, a key prefix "
            "of its own), same sandbox"
        )
    env = api_env(sandbox.url, key, args.workers)
    cold = measure_cold(out_dir, env, sandbox, key, stack) if "cold" in args.phases else []
    runs = measure_saturation(args) if "wrk" in args.phases else []
    measured.settings["Load average at end (1/5/15 min)"] = machine_info.load_average()
    return BenchResult(
        machine,
        command_line(),
        measured.settings,
        measured.startup,
        measured.load,
        measured.ceiling,
        cold,
        loadtest_config.thresholds(),
        runs,
    )


def measure_saturation(args: argparse.Namespace) -> list[saturation.CacheRun]:
    """Run benchmarks.saturation's wrk phase and overload (its own stack, no latency)."""
    progress("saturation: wrk against the API and the bare stack, then an overload ...")
    options = [
        "--seconds",
        str(args.saturation_seconds),
        "--caches",
        args.saturation_caches,
        "--workers",
        str(args.workers),
    ]
    return saturation.run_all(saturation.parse_args(options))


def measure_cold(
    out_dir: Path, env: Mapping[str, str], sandbox: Sandbox, key: str, stack: ExitStack
) -> list[ColdWarm]:
    """Time each cold path on its own fresh server, then warm."""
    results = []
    for index, path in enumerate(COLD_PATHS):
        progress(f"cold against warm: GET {path} on a fresh server ...")
        result = measure_cold_warm(
            cold_server(out_dir, f"cold-{index}", env, stack), sandbox, path, {"X-API-Key": key}
        )
        progress(
            f"  cold {result.cold_ms:.0f} ms ({result.cold_cache}, {result.upstream_calls} "
            f"upstream calls), warm {result.warm_ms:.1f} ms"
        )
        results.append(result)
    return results


def plans_warm(answer: Answer) -> bool:
    """Tell whether a readiness answer says the clients and the plans are both warm."""
    return answer.status == 200 and answer.json().get("plans", {}).get("warm") is True


def cold_server(
    out_dir: Path, name: str, env: Mapping[str, str], stack: ExitStack
) -> Callable[[], Gunicorn]:
    """Return a function that starts a server with no warm-up (stopped by `stack` at worst)."""

    def start() -> Gunicorn:
        server = Gunicorn(out_dir, {**env, "WARMUP_ON_START": "false"}, name, ready_path="/health")
        stack.callback(server.stop)
        return server.start()

    return start


def command_line() -> str:
    """Return the command that ran this bench, relative to the repository."""
    return shlex.join(["python", "-m", "benchmarks.bench", *sys.argv[1:]])


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def write_report(text: str, paths: list[Path]) -> None:
    """Write the report to every path."""
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        progress(f"report written to {path}")


def main(argv: list[str] | None = None) -> int:
    """Run the bench; return the exit status."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # so that `finally` stops the children
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = args.results / f"bench-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    progress(f"run files in {out_dir}")
    with ExitStack() as stack:
        try:
            result = run_bench(args, out_dir, stack)
        except (StackError, PhaseError, StatsError, WrkError, OSError) as exc:
            progress(f"FAILED: {exc}")
            return 1
        except KeyboardInterrupt:
            progress("interrupted")
            return 130
        finally:
            progress("stopping every process started")
    if not args.keep_logs:
        for log in out_dir.glob("*.err.log"):
            log.unlink()
    every_phase = set(args.phases) >= set(PHASES) - {"wrk"}  # --no-saturation still counts
    report = args.report or (DEFAULT_REPORT if every_phase else None)
    paths = [args.results / f"bench-{stamp}.md"]
    text = render(result)
    if report:  # keep the section python -m benchmarks.per_request wrote there
        text = per_request.carry_section(text, report)
    write_report(text, [report, *paths] if report else paths)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
