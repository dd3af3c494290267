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
import csv
import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.stack import ROOT, ApiServer, Sandbox, child_pids, process_cpu_seconds, stop_process
from benchmarks.stats import locust_cpu_warned, server_timings
from wisphub_api.sandbox.options import DEMO_API_KEY

LOCUSTFILE = "loadtests/locustfiles/original.py"
FAULT_MODES = ("error", "stall", "down", "slow")
SLOW_DELAY_S = 2.0
MAX_GROWTH = 0.10  # worker RSS may grow less than this between warm-up and the end
READY_TIMEOUT_S = 120.0
TICK_S = 0.5


@dataclass
class Run:
    """What happened during the soak: faults injected and memory samples per worker."""

    started: float = 0.0
    faults: list[tuple[float, str, float]] = field(default_factory=list)  # (at, mode, seconds)
    samples: list[tuple[float, dict[int, int]]] = field(default_factory=list)  # (at, pid->RSS)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process, at the end


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


def worker_rss(api: ApiServer) -> dict[int, int]:
    """Return the RSS of each gunicorn worker by pid."""
    assert api.process is not None
    return {pid: rss_bytes(pid) for pid in child_pids(api.process.pid)}


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
        return subprocess.Popen(  # noqa: S603 - a fixed command
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


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
    api: ApiServer,
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


def read_csv(path: Path) -> list[dict[str, str]]:
    """Return the rows of one of Locust's CSV files ([] when it is missing)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return list(csv.DictReader(text.splitlines()))


def cache_counts(access_log: Path) -> dict[str, int]:
    """Count the API's answers by X-Cache value (HIT, STALE, MISS) from gunicorn's access log."""
    lines = access_log.read_text(encoding="utf-8", errors="replace").splitlines()
    return dict(
        Counter(
            json.loads(line).get("cache") or "-"
            for line in lines
            if line.startswith('{"ts"') and '"gunicorn.access"' in line
        )
    )


def baseline_index(run: Run, args: argparse.Namespace) -> int:
    """Return the sample taken once the users are up and --warmup has passed."""
    ramp = args.users / args.spawn_rate
    at = ramp + min(args.warmup, args.minutes * 60 / 3)
    return next((i for i, (t, _) in enumerate(run.samples) if t >= at), len(run.samples) - 1)


def memory_rows(run: Run, args: argparse.Namespace) -> tuple[list[list[str]], bool]:
    """Return one row per worker (baseline, end, peak, growth) and whether every growth passes."""
    base_at, base = run.samples[baseline_index(run, args)]
    end_at, end = run.samples[-1]
    rows, passed = [], bool(base) and set(base) == set(end)
    for pid in sorted(set(base) | set(end)):
        peak = max(s.get(pid, 0) for _, s in run.samples)
        before, after = base.get(pid, 0), end.get(pid, 0)
        growth = (after - before) / before if before and after else float("nan")
        passed = passed and growth < MAX_GROWTH
        rows.append([str(pid), mib(before), mib(after), mib(peak), f"{growth * 100:+.1f} %"])
    rows.append(["(sampled at)", f"{base_at:.0f} s", f"{end_at:.0f} s", "", ""])
    return rows, passed


def mib(value: int) -> str:
    return f"{value / 2**20:.1f} MiB" if value else "gone"


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Return a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def route_rows(stats: list[dict[str, str]]) -> tuple[list[list[str]], int]:
    """Return one row per route and the total (requests, failures, percentiles); failed count."""
    rows = [
        [
            "**all**" if r["Name"] == "Aggregated" else f"{r['Type']} {r['Name']}",
            r["Request Count"],
            r["Failure Count"],
            r["50%"],
            r["95%"],
            r["99%"],
            f"{float(r['Max Response Time']):.0f}",
        ]
        for r in stats
    ]
    return rows, sum(int(r["Failure Count"]) for r in stats if r["Name"] != "Aggregated")


def server_rows(access_log: Path) -> list[list[str]]:
    """Return the server-side time per path from gunicorn's access log (no client overhead)."""
    lines = access_log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [
        [path, str(t.count), str(t.p50_ms), str(t.p95_ms), str(t.p99_ms), str(t.max_ms)]
        for path, t in sorted(server_timings(lines).items())
        if path.startswith("/api/")
    ]


def render(
    args: argparse.Namespace, run: Run, csv_prefix: Path, api: ApiServer, upstream: dict[str, Any]
) -> tuple[str, bool]:
    """Return the Markdown report and whether both verdicts pass."""
    stats = read_csv(Path(f"{csv_prefix}_stats.csv"))
    routes, failed = route_rows(stats)
    memory, memory_ok = memory_rows(run, args)
    requests_ok = bool(stats) and failed == 0
    lines = [
        f"# Soak run, {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"{args.users} users (spawn {args.spawn_rate:g}/s), {args.minutes:g} min, "
        f"original scenario; snapshot TTL {args.ttl} s; a fault every "
        f"{args.fault_every:g} s for {args.fault_for:g} s; {os.cpu_count()} CPUs.",
        "",
        "## Verdicts",
        "",
        f"- Zero failed requests on warm routes: **{'PASS' if requests_ok else 'FAIL'}** "
        f"({failed} failed)",
        f"- Worker memory growth under {MAX_GROWTH:.0%}: **{'PASS' if memory_ok else 'FAIL'}**",
        "",
        *request_section(routes, csv_prefix, api),
        "## Worker memory (RSS)",
        "",
        *table(["Worker pid", "Warm-up", "End", "Peak", "Growth"], memory),
        "",
        *context_section(run, api, upstream),
    ]
    return "\n".join(lines), requests_ok and memory_ok


def request_section(routes: list[list[str]], csv_prefix: Path, api: ApiServer) -> list[str]:
    """Return the client-side and server-side times, and the failures if any."""
    lines = [
        "## Requests (ms)",
        "",
        *table(["Route", "Requests", "Failures", "p50", "p95", "p99", "max"], routes),
        "",
        "Server-side time of the same requests (gunicorn access log, ms):",
        "",
        *table(["Path", "Requests", "p50", "p95", "p99", "max"], server_rows(api.access_log)),
        "",
    ]
    if locust_cpu_warned((csv_prefix.parent / "locust.log").read_text(errors="replace")):
        lines += [
            "Locust warned that its own CPU use was high: the client-side times above "
            "include its queueing.",
            "",
        ]
    failures = read_csv(Path(f"{csv_prefix}_failures.csv"))
    if failures:
        lines += [
            "## Failures",
            "",
            *table(
                ["Route", "Error", "Count"],
                [
                    [f"{f['Method']} {f['Name']}", f["Error"][:120], f["Occurrences"]]
                    for f in failures
                ],
            ),
            "",
        ]
    return lines


def context_section(run: Run, api: ApiServer, upstream: dict[str, Any]) -> list[str]:
    """Return the faults injected, what the API and the sandbox saw, and the CPU used."""
    cpu = ", ".join(f"{name} {sec:.0f}" for name, sec in run.cpu.items() if name != "wall")
    return [
        "## Faults injected",
        "",
        *table(
            ["At", "Mode", "Lasted"],
            [[f"{at:.0f} s", mode, f"{length:.0f} s"] for at, mode, length in run.faults],
        ),
        "",
        "## What the API and WispHub Net saw",
        "",
        f"- API answers by X-Cache: {cache_counts(api.access_log)}",
        f"- Upstream calls: {upstream.get('total')}, by status: {upstream.get('by_status')}",
        f"- CPU seconds over {run.cpu.get('wall', 0):.0f} s of load: {cpu}",
        "",
    ]


def soak(args: argparse.Namespace, out_dir: Path, stack: ExitStack) -> tuple[str, bool]:
    """Start everything, run the load with faults, and return the report."""
    key = secrets.token_urlsafe(24)
    sandbox = Sandbox(out_dir).start()
    stack.callback(sandbox.stop)
    progress(f"sandbox on {sandbox.url}")
    api = ApiServer(out_dir, "api", api_env(sandbox.url, key, args)).start()
    stack.callback(api.stop)
    api.wait_live(READY_TIMEOUT_S)
    progress(
        f"API on {api.url}: ready after {api.wait_ready(READY_TIMEOUT_S):.1f} s, "
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
    return render(args, run, csv_prefix, api, sandbox.stats())


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
