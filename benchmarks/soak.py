"""Soak WispHub API: 10 minutes of the original scenario while WispHub Net fails every minute.

    .venv/bin/python -m benchmarks.soak                      # 10 minutes, 200 users (not in CI)
    .venv/bin/python -m benchmarks.soak --minutes 2 --users 50

Starts the sandbox (realistic latency) and the API under gunicorn (gunicorn.conf.py), waits until
every worker is warm, runs Locust headless, injects a rotating fault (error, stall, down, slow)
through /__fault, samples each worker's RSS, and writes results/soak.md (CSVs and logs in
results/soak/). Exits 1 unless no warm request failed and no worker grew 10 % or more.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from benchmarks.soak_report import Run, render
from benchmarks.stack import (
    ROOT,
    Gunicorn,
    Sandbox,
    process_cpu_seconds,
    start_process,
    stop_process,
)
from wisphub_api.sandbox.options import DEMO_API_KEY

LOCUSTFILE = "loadtests/locustfiles/original.py"
FAULT_MODES = ("error", "stall", "down", "slow")
SLOW_DELAY_S = 2.0
READY_TIMEOUT_S = 120.0
TICK_S = 0.5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--minutes", type=float, default=10.0, help="load duration (default 10)")
    add("--users", type=int, default=200, help="Locust users (default 200)")
    add("--spawn-rate", type=float, default=20.0, help="users started per second (default 20)")
    add("--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py)")
    add("--ttl", type=int, default=30, help="CLIENTS/PLANS_CACHE_TTL of the API (default 30)")
    add("--fault-every", type=float, default=60.0, help="seconds between faults (default 60)")
    add("--fault-for", type=float, default=20.0, help="seconds each fault lasts (default 20)")
    add("--sample-every", type=float, default=10.0, help="seconds between RSS samples")
    add(
        "--warmup",
        type=float,
        default=60.0,
        help="seconds of load before the memory baseline (capped at a third of the run)",
    )
    add("--out", type=Path, default=ROOT / "results" / "soak.md", help="report path")
    return parser.parse_args(argv)


def progress(message: str) -> None:
    """Print one progress line."""
    print(f"[soak {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def rss_bytes(pid: int) -> int:
    """Return a process's resident memory in bytes, by psutil or /proc (0 once it is gone)."""
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except ImportError:
        lines = Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines()
        return next((int(ln.split()[1]) * 1024 for ln in lines if ln.startswith("VmRSS:")), 0)
    except Exception:  # the process ended between listing and reading
        return 0


def worker_rss(api: Gunicorn) -> dict[int, int]:
    """Return the RSS of each gunicorn worker by pid."""
    return {pid: rss_bytes(pid) for pid in api.worker_pids()}


def api_env(sandbox_url: str, key: str, args: argparse.Namespace) -> dict[str, str]:
    """Return the API's environment: the sandbox upstream and short TTLs."""
    env = {
        "WISPHUB_NET_HOST": sandbox_url,
        "WISPHUB_NET_KEY": DEMO_API_KEY,
        "WISPHUB_INTERNAL_API_KEY": key,
        "APP_ENV": "development",
        "CLIENTS_CACHE_TTL": str(args.ttl),
        "PLANS_CACHE_TTL": str(args.ttl),
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    return env


def start_locust(
    args: argparse.Namespace, host: str, key: str, csv_prefix: Path, log_path: Path
) -> subprocess.Popen[bytes]:
    """Start Locust headless with the original scenario; the thresholds are judged here."""
    seconds = max(1, round(args.minutes * 60))
    command = [
        sys.executable,
        "-m",
        "locust",
        "--headless",
        "-f",
        LOCUSTFILE,
        "--host",
        host,
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        f"{seconds}s",
        "--csv",
        str(csv_prefix),
        "--only-summary",
    ]
    env = {
        **os.environ,
        "WISPHUB_API_KEY": key,
        "LOADTEST_MAX_FAILURES": "off",
        "LOADTEST_MAX_AVG_MS": "off",
        "LOADTEST_MAX_CACHED_P95_MS": "off",
    }
    with log_path.open("wb") as log:
        return start_process(command, env=env, stdout=log, stderr=subprocess.STDOUT)


class FaultRotation:
    """Inject one fault every `every` seconds for `length` seconds, rotating the modes."""

    def __init__(self, sandbox: Sandbox, every: float, length: float, run: Run) -> None:
        self.sandbox, self.every, self.length, self.run = sandbox, every, length, run
        self.active: str | None = None
        self.since = 0.0

    def tick(self, elapsed: float) -> None:
        """Start or end a fault according to the time since the load started."""
        slot, offset = divmod(elapsed - self.every / 2, self.every)
        due = slot >= 0 and offset < self.length
        if due and self.active is None:
            mode = FAULT_MODES[int(slot) % len(FAULT_MODES)]
            self.sandbox.control("POST", "/__fault", {"mode": mode, "delay": SLOW_DELAY_S})
            self.active, self.since = mode, elapsed
            progress(f"fault {mode} on")
        elif not due and self.active is not None:
            self.stop(elapsed)

    def stop(self, elapsed: float) -> None:
        """End the current fault, if any."""
        if self.active is None:
            return
        self.sandbox.control("POST", "/__fault", {"mode": "ok"})
        self.run.faults.append((self.since, self.active, elapsed - self.since))
        progress(f"fault {self.active} off")
        self.active = None


def drive(
    locust: subprocess.Popen[bytes],
    api: Gunicorn,
    faults: FaultRotation,
    args: argparse.Namespace,
    run: Run,
) -> None:
    """Tick until Locust exits: faults on schedule, an RSS sample every --sample-every."""
    next_sample = 0.0
    while locust.poll() is None:
        elapsed = time.monotonic() - run.started
        faults.tick(elapsed)
        if elapsed >= next_sample:
            run.samples.append((elapsed, worker_rss(api)))
            next_sample += args.sample_every
        run.cpu["locust"] = process_cpu_seconds(locust.pid) or run.cpu.get("locust", 0.0)
        time.sleep(TICK_S)
    faults.stop(time.monotonic() - run.started)
    run.samples.append((time.monotonic() - run.started, worker_rss(api)))


def soak(args: argparse.Namespace, out_dir: Path, stack: ExitStack) -> tuple[str, bool]:
    """Start everything, run the load with faults, and return the report."""
    key = secrets.token_urlsafe(24)
    sandbox = Sandbox(log_path=out_dir / "sandbox.log").start()
    stack.callback(sandbox.stop)
    progress(f"sandbox on {sandbox.url}")
    api = Gunicorn(out_dir, api_env(sandbox.url, key, args), name="api")
    stack.callback(api.stop)
    api.start(wait=False)
    progress(
        f"API on {api.url}: ready after {api.wait_ready(READY_TIMEOUT_S, streak=20):.1f} s, "
        f"{api.worker_count()} workers"
    )
    run = Run()
    csv_prefix = out_dir / "soak"
    locust = start_locust(args, api.url, key, csv_prefix, out_dir / "locust.log")
    stack.callback(stop_process, locust)
    run.started = time.monotonic()
    drive(locust, api, FaultRotation(sandbox, args.fault_every, args.fault_for, run), args, run)
    progress(f"locust exited with {locust.returncode}")
    run.cpu.update(
        api=api.cpu_seconds(), sandbox=sandbox.cpu_seconds(), wall=time.monotonic() - run.started
    )
    return render(args, run, csv_prefix, api.log_lines(0, api.log_offset()), sandbox.stats())


def main(argv: list[str] | None = None) -> int:
    """Run the soak and write the report; exit 1 when a verdict fails."""
    args = parse_args(argv)
    out_dir = args.out.parent / "soak"
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        report, passed = soak(args, out_dir, stack)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    progress(f"report written to {args.out}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
