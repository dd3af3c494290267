"""How long the first requests after a warm restart wait (issue 13, point 2), restart after restart.

    flock /tmp/lead/bench.lock .venv/bin/python -m benchmarks.restart_probe --restarts 6

Loopback only. One sandbox (``--clients``, 300 ms a call), then the API under gunicorn with
``--workers`` gevent workers (``benchmarks.stack``) started once cold until ready, so that its
snapshot is on disk. Then ``--restarts`` times: stop gunicorn, start it again on the same
STATE_DIR, and as soon as the port answers ``GET /health`` send ``--requests`` requests, one after
the other on fresh connections, alternating a lookup by id and a search (the helpers of
``benchmarks.scale``). Printed: each restart's answers (ms, status, X-Cache), its worst, and the
worst over all restarts. Nothing asserts; the figures are reported as measured.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from benchmarks.scale import (
    READY_TIMEOUT_S,
    Run,
    fresh_dir,
    lookup_path,
    search_path,
    stop_on_signals,
    timed,
    wait_live,
)
from benchmarks.scale_report import First
from benchmarks.stack import ROOT, Gunicorn, Sandbox


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.restart_probe", description=__doc__)
    add = parser.add_argument
    add("--restarts", type=int, default=6, help="warm restarts (default 6)")
    add("--requests", type=int, default=6, help="requests timed after each restart (default 6)")
    add("--clients", type=int, default=1500, help="sandbox clients (default 1500)")
    add("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    add("--ttl", type=int, default=20, help="CLIENTS_CACHE_TTL (default 20)")
    add("--latency-ms", default="300", help="sandbox latency per call (default 300)")
    add("--logs", type=Path, default=ROOT / "results" / "restart_probe", help="logs directory")
    return parser.parse_args(argv)


def first_requests(api: Gunicorn, run: Run, count: int, rng: random.Random) -> list[First]:
    """Time ``count`` requests, lookup then search, each on a fresh connection."""
    return [
        timed(api, lookup_path(run.clients, rng) if i % 2 == 0 else search_path(rng))[0]
        for i in range(count)
    ]


def describe(answers: list[First]) -> str:
    """Return one restart's answers as ``ms/status/cache`` items."""
    return "  ".join(f"{a.ms:.0f}/{a.status}/{a.cache or '-'}" for a in answers)


def probe(args: argparse.Namespace) -> list[float]:
    """Run the restarts; return the worst answer (ms) of each."""
    logs = fresh_dir(args.logs)
    sandbox = Sandbox(
        clients=args.clients, latency_ms=args.latency_ms, log_path=logs / "sandbox.log"
    ).start()
    worst: list[float] = []
    try:
        run = Run(args, sandbox, None, args.clients, logs, deadline=float("inf"))
        api = Gunicorn(logs, run.env(args.ttl), name="api-cold")
        try:
            api.start(wait=False)
            api.wait_ready(READY_TIMEOUT_S, streak=10)  # the snapshot is on disk
        finally:
            api.stop()
        rng = random.Random(5)
        for number in range(1, args.restarts + 1):
            api = Gunicorn(logs, run.env(args.ttl), name=f"api-{number}")
            try:
                started = time.monotonic()
                api.start(wait=False)
                live = wait_live(api) - started
                answers = first_requests(api, run, args.requests, rng)
            finally:
                api.stop()
            worst.append(max(a.ms for a in answers))
            print(
                f"restart {number}: live after {live * 1000:.0f} ms; first {args.requests} "
                f"(ms/status/X-Cache): {describe(answers)}; max {worst[-1]:.0f} ms",
                flush=True,
            )
    finally:
        sandbox.stop()
    return worst


def main(argv: list[str] | None = None) -> int:
    """Probe the restarts and print the worst answers."""
    args = parse_args(argv)
    stop_on_signals()
    worst = probe(args)
    per_restart = ", ".join(f"{ms:.0f}" for ms in worst)
    print(f"{args.workers} workers, {args.clients:,} clients: per-restart max {per_restart} ms")
    print(f"overall max {max(worst):.0f} ms over {len(worst)} restarts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
