"""Saturation: wrk against the API and against the bare stack, then an open-loop overload.

    .venv/bin/python -m benchmarks.saturation                  # SimpleCache and Redis, 20 s each
    .venv/bin/python -m benchmarks.saturation --seconds 10 --caches simple
    .venv/bin/python -m benchmarks.saturation --caches simple --no-overload \
        --routes internet-plans,search   # only the API-against-bare wrk pairs, ~1 min

For each cache (SimpleCache; Redis at --redis-url, a key prefix of its own), it starts the API
under gunicorn (gunicorn.conf.py, --workers workers) before a sandbox with no latency, reads the
answers of the cached routes once, serves the same bytes from the bare stack
(benchmarks/bare_app.py: a minimal Flask app on the same gunicorn configuration and worker class),
and runs ``wrk -t2 -c64`` against each route on both, one after the other. Then it finds the
plans' sustainable open-loop rate (benchmarks/openloop.py: the highest served with p99 <= 250 ms
and nothing refused), offers twice that, and a quarter of it afterwards. It prints
the numbers (and ``make bench`` puts them in its report); nothing here is a test.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.openloop import generate
from benchmarks.openloop_stats import summarise
from benchmarks.stack import Gunicorn, Sandbox, StackError, call
from benchmarks.wrkrun import WrkError, WrkResult, run_wrk

ROUTES = {
    "internet-plans": "/api/v1/internet-plans/",
    "clients": "/api/v1/clients/",
    "search": "/api/v1/clients/search?q=Esperanza",
}
BODY_FILES = {
    "internet-plans": "internet-plans.json",
    "clients": "clients.json",
    "search": "search.json",
}
REDIS_URL = "redis://127.0.0.1:6379/11"
SUSTAINABLE_P99_MS = 250.0
# The sustainable rate's ramp stops at this many tenths of wrk's closed-loop rate.
MAX_RAMP_TENTHS = 15
# Python generator processes, used only when the C generator (openloop.c) cannot be built: one
# tops out near 2,000 requests a second here, below twice the rate.
GENERATORS = 3
READY_TIMEOUT_S = 120.0
# Connections the overload may open: as many as its requests need, as independent bots would
# (and nginx, which opens a connection per request in flight). With a cap near the server's
# in-flight count, the excess waits in the generator for a free connection, unseen by the server:
# that measures the generator's queue, not whether the server refuses what it cannot serve. Kept
# below the API's 2 x WORKER_CONNECTIONS (4,096) so the server's connection limit is not measured.
OVERLOAD_CONNECTIONS = 6000


@dataclass(frozen=True, slots=True)
class RoutePair:
    """One route under wrk on the API and on the bare stack, in the same run."""

    name: str
    path: str
    api: WrkResult
    bare: WrkResult

    @property
    def ratio(self) -> float:
        """Return the API's RPS as a share of the bare stack's."""
        return self.api.rps / self.bare.rps if self.bare.rps else 0.0


@dataclass
class CacheRun:
    """Everything measured with one cache backend."""

    cache: str
    workers: int
    pairs: list[RoutePair] = field(default_factory=list)
    overload: dict[str, Any] = field(default_factory=dict)
    sustainable_rate: float = 0.0
    overload_rate: float = 0.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.saturation", description=__doc__)
    add = parser.add_argument
    add("--seconds", type=int, default=20, help="seconds of each wrk run (20)")
    add("--connections", type=int, default=64, help="wrk connections (64)")
    add("--workers", type=int, default=2, help="gunicorn workers of both stacks (2)")
    add("--caches", default="simple,redis", help="simple and/or redis (both)")
    add("--redis-url", default=REDIS_URL, help=f"Redis for the redis run ({REDIS_URL})")
    add("--overload-seconds", type=float, default=15.0, help="seconds at twice the rate (15)")
    add("--no-overload", action="store_true", help="skip the open-loop overload")
    add(
        "--routes",
        default=",".join(ROUTES),
        help=f"the routes run under wrk, comma-separated ({','.join(ROUTES)})",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.routes.split(",")) - set(ROUTES))
    if unknown:
        parser.error(f"unknown routes: {', '.join(unknown)}")
    if not args.no_overload and "internet-plans" not in args.routes.split(","):
        parser.error("the overload runs against internet-plans: add it or --no-overload")
    return args


def capture_bodies(api: Gunicorn, headers: dict[str, str], folder: Path) -> None:
    """Save each cached route's answer (uncompressed) for the bare stack to serve."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in ROUTES.items():
        answer = call(api.port, "GET", path, headers={**headers, "Accept-Encoding": "identity"})
        if answer.status != 200:
            raise StackError(f"GET {path} answered {answer.status}")
        (folder / BODY_FILES[name]).write_bytes(answer.body)


def api_env(sandbox: Sandbox, key: str, workers: int, redis_url: str | None) -> dict[str, str]:
    """Return the API's settings for one cache backend."""
    env = {
        "WISPHUB_NET_HOST": sandbox.url,
        "WISPHUB_NET_KEY": sandbox.api_key,
        "WISPHUB_INTERNAL_API_KEY": key,
        "APP_ENV": "development",
        "WEB_CONCURRENCY": str(workers),
    }
    if redis_url:
        env.update(CACHE_REDIS_URL=redis_url, CACHE_KEY_PREFIX=f"bench-{secrets.token_hex(6)}:")
    return env


def open_loop(
    url: str,
    headers: dict[str, str],
    schedule: list[tuple[str, float, float]],
    connections: int = 1024,
):
    """Run one open-loop schedule and return its summary."""
    return summarise(
        generate(url, headers, schedule, processes=GENERATORS, connections=connections)
    )


def sustainable_rate(url: str, headers: dict[str, str], closed_loop_rps: float) -> float:
    """Return the highest open-loop rate served with p99 <= 250 ms and nothing refused.

    Steps of a tenth of wrk's closed-loop rate, 5 s each, until one fails. They go on past that
    rate, to 1.5 times it: an open-loop client with many connections can be served faster than
    wrk's 64, so stopping at wrk's rate could call sustainable less than the server sustains,
    and offer less than twice the real rate as the overload.
    """
    best = 0.0
    for tenth in range(2, MAX_RAMP_TENTHS + 1):
        rate = round(closed_loop_rps * tenth / 10)
        phase = open_loop(url, headers, [("step", rate, 5.0)])["phases"]["step"]
        p99 = phase["served"]["p99_ms"] or 0.0
        if phase["refused_503"]["count"] or phase["over_1s"] or p99 > SUSTAINABLE_P99_MS:
            break
        best = rate
    return best


def overload(url: str, headers: dict[str, str], rate: float, seconds: float) -> dict[str, Any]:
    """Offer ``rate`` requests per second open-loop for ``seconds``, then a quarter of it."""
    schedule = [("overload", rate, seconds), ("after", rate / 4, seconds)]
    return open_loop(url, headers, schedule, connections=OVERLOAD_CONNECTIONS)


def measure_cache(
    args: argparse.Namespace, cache: str, sandbox: Sandbox, work: Path, stack: ExitStack
) -> CacheRun:
    """Run every route on the API and the bare stack with one cache backend."""
    key = "bench-" + secrets.token_hex(8)
    headers = {"X-API-Key": key}
    redis_url = args.redis_url if cache == "redis" else None
    api = Gunicorn(work, api_env(sandbox, key, args.workers, redis_url), name=f"api-{cache}")
    stack.callback(api.stop)
    api.start(wait=False)
    api.wait_ready(READY_TIMEOUT_S, streak=20)
    bodies = work / f"bodies-{cache}"
    capture_bodies(api, headers, bodies)
    bare_env = {"WEB_CONCURRENCY": str(args.workers), "BARE_BODIES": str(bodies)}
    bare = Gunicorn(work, bare_env, name=f"bare-{cache}", app="benchmarks.bare_app:create_app()")
    stack.callback(bare.stop)
    bare.start()
    run = CacheRun(cache, args.workers)
    for name in args.routes.split(","):
        path = ROUTES[name]
        options = {"seconds": args.seconds, "connections": args.connections}
        on_api = run_wrk(api.url + path, headers, server_cpu=api.cpu_seconds, **options)
        on_bare = run_wrk(bare.url + path, headers, server_cpu=bare.cpu_seconds, **options)
        run.pairs.append(RoutePair(name, path, on_api, on_bare))
        print(pair_line(cache, run.pairs[-1]), flush=True)
    bare.stop()
    if not args.no_overload:
        url = api.url + ROUTES["internet-plans"]
        plans = next(pair for pair in run.pairs if pair.name == "internet-plans")
        run.sustainable_rate = sustainable_rate(url, headers, plans.api.rps)
        run.overload_rate = round(2 * run.sustainable_rate)
        run.overload = overload(url, headers, run.overload_rate, args.overload_seconds)
        print(overload_line(cache, run), flush=True)
    api.stop()
    return run


def pair_line(cache: str, pair: RoutePair) -> str:
    """Describe one route's pair of runs on one line."""

    def side(result: WrkResult) -> str:
        return (
            f"{result.rps:7,.0f} rps p50 {result.p50_ms:6.1f} p99 {result.p99_ms:6.1f} "
            f"max {result.max_ms:6.0f} ms, errors {result.socket_errors} timeouts "
            f"{result.timeouts} non-2xx {result.non_2xx}"
        )

    return (
        f"[{cache}] {pair.name:<15} API {side(pair.api)} | bare {side(pair.bare)} | "
        f"API/bare {pair.ratio:.2f}"
    )


def overload_line(cache: str, run: CacheRun) -> str:
    """Describe the open-loop overload on one line."""
    phases = run.overload.get("phases", {})
    load, after = phases.get("overload", {}), phases.get("after", {})
    served, refused = load.get("served", {}), load.get("refused_503", {})
    after_served, after_refused = after.get("served", {}), after.get("refused_503", {})
    return (
        f"[{cache}] sustainable open-loop rate {run.sustainable_rate:,.0f} req/s; overload at "
        f"{run.overload_rate:,.0f} req/s: sent {load.get('sent', 0):,}, "
        f"served {served.get('count', 0):,} (p99 {served.get('p99_ms')} ms, max "
        f"{served.get('max_ms')} ms), 503 {refused.get('count', 0):,} (max "
        f"{refused.get('max_ms')} ms), timeouts {load.get('timeouts', 0)}, over 1 s "
        f"{load.get('over_1s', 0)} (the generator sent late by p99 "
        f"{load.get('sent_late_p99_ms')} ms); afterwards served p99 "
        f"{after_served.get('p99_ms')} ms, 503 {after_refused.get('count')}"
    )


def run_all(args: argparse.Namespace) -> list[CacheRun]:
    """Start the sandbox, measure each cache backend in turn, stop everything."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="saturation-") as folder, ExitStack() as stack:
        work = Path(folder)
        sandbox = Sandbox(log_path=work / "sandbox.log", latency_ms="0", per_row_ms=0).start()
        stack.callback(sandbox.stop)
        for cache in args.caches.split(","):
            runs.append(measure_cache(args, cache, sandbox, work, stack))
    return runs


def main(argv: list[str] | None = None) -> int:
    """Run and print; exit 1 if the stack or wrk failed."""
    args = parse_args(argv)
    try:
        runs = run_all(args)
    except (StackError, WrkError) as exc:
        print(f"saturation: {exc}", file=sys.stderr)
        return 1
    from benchmarks.saturation_report import render_saturation

    print("\n".join(["", *render_saturation(runs)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
