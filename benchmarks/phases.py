"""The measurements of a bench: Locust phases against a running stack, and cold versus warm."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

from benchmarks.stack import Gunicorn, Sandbox, machine_busy_seconds, start_process, stop_process
from benchmarks.stats import (
    EndpointRow,
    ServerTiming,
    UpstreamCalls,
    locust_cpu_warned,
    read_stats_csv,
    server_timings,
    upstream_delta,
)

# Locust keeps running for a few seconds past -t (spawn, the gate's final CSV write, shutdown).
LOCUST_GRACE_S = 60.0
COLD_TIMEOUT_S = 60.0


class PhaseError(RuntimeError):
    """A phase could not be measured (Locust crashed, wrote no CSV, a request failed)."""


@dataclass(frozen=True, slots=True)
class LocustPlan:
    """One headless Locust run: which file and user class, how many users, for how long."""

    key: str
    title: str
    locustfile: str
    users: int
    duration_s: int
    user_class: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    # Locust's --processes: 1 runs every user on one event loop; -1 forks one process per core.
    processes: int = 1

    @property
    def spawn_rate(self) -> float:
        """Start every user within about 5 s."""
        return max(10.0, self.users / 5)

    def command(self, host: str, csv_prefix: Path) -> list[str]:
        """Return the Locust command line."""
        classes = [self.user_class] if self.user_class else []
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            self.locustfile,
            *classes,
            "--headless",
            "--host",
            host,
            "-u",
            str(self.users),
            "-r",
            f"{self.spawn_rate:g}",
            "-t",
            f"{self.duration_s}s",
            "--csv",
            str(csv_prefix),
            "--only-summary",
            *([] if self.processes == 1 else ["--processes", str(self.processes)]),
        ]


@dataclass(frozen=True, slots=True)
class CpuUse:
    """CPU seconds used during a phase by each process and by the rest of the machine."""

    locust: float
    api: float
    sandbox: float
    machine: float  # every core's busy time, ours included
    wall: float

    @property
    def others(self) -> float:
        """Return the CPU seconds used by processes that are not part of the bench."""
        return max(0.0, self.machine - self.locust - self.api - self.sandbox)


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """Everything measured during one Locust phase."""

    plan: LocustPlan
    rows: tuple[EndpointRow, ...]
    total: EndpointRow
    upstream: UpstreamCalls
    server: Mapping[str, ServerTiming]
    cpu: CpuUse
    exit_code: int
    locust_saturated: bool = False  # Locust warned that its own CPU limited the run


@dataclass(frozen=True, slots=True)
class ColdWarm:
    """The first request of a path on a cold server, then the same request served warm."""

    path: str
    cold_ms: float
    cold_cache: str
    warm_ms: float
    warm_count: int
    upstream_calls: int

    @property
    def ratio(self) -> float:
        """Return how many times slower the cold request was."""
        return self.cold_ms / self.warm_ms if self.warm_ms else float("inf")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_locust(
    plan: LocustPlan, host: str, out_dir: Path, env: Mapping[str, str]
) -> tuple[int, float]:
    """Run Locust to completion; return its exit status and the CPU seconds it used."""
    log_path = out_dir / f"{plan.key}.locust.log"
    command = plan.command(host, out_dir / plan.key)
    before = _children_cpu()  # Locust is the only child reaped during the run
    with log_path.open("wb") as log:
        process = start_process(
            command, env={**os.environ, **env, **plan.env}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            status = process.wait(timeout=plan.duration_s + LOCUST_GRACE_S)
        except subprocess.TimeoutExpired:
            raise PhaseError(f"Locust overran its {plan.duration_s} s; see {log_path}") from None
        finally:
            stop_process(process)
    return status, _children_cpu() - before


def run_phase(
    plan: LocustPlan, api: Gunicorn, sandbox: Sandbox, out_dir: Path, env: Mapping[str, str]
) -> PhaseResult:
    """Run one Locust plan against the API and collect every number around it."""
    upstream_before, log_start = sandbox.stats(), api.log_offset()
    api_cpu, sandbox_cpu = api.cpu_seconds(), sandbox.cpu_seconds()
    busy, started = machine_busy_seconds(), time.monotonic()
    status, locust_cpu = run_locust(plan, api.url, out_dir, env)
    wall = time.monotonic() - started
    cpu = CpuUse(
        locust_cpu,
        api.cpu_seconds() - api_cpu,
        sandbox.cpu_seconds() - sandbox_cpu,
        machine_busy_seconds() - busy,
        wall,
    )
    if status not in (0, 1):  # 1 is the threshold gate's verdict, reported rather than fatal
        raise PhaseError(f"Locust exited with status {status}; see {out_dir / plan.key}.locust.log")
    rows, total = read_stats_csv(out_dir / f"{plan.key}_stats.csv")
    upstream = upstream_delta(upstream_before, sandbox.stats())
    server = server_timings(api.log_lines(log_start, api.log_offset()))
    log_text = (out_dir / f"{plan.key}.locust.log").read_text(encoding="utf-8", errors="replace")
    return PhaseResult(
        plan, tuple(rows), total, upstream, server, cpu, status, locust_cpu_warned(log_text)
    )


def _timed_get(
    session: requests.Session, url: str, headers: Mapping[str, str]
) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = session.get(url, headers=dict(headers), timeout=COLD_TIMEOUT_S)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise PhaseError(f"GET {url} answered {response.status_code}")
    return elapsed_ms, response


def measure_cold_warm(
    start_server: Callable[[], Gunicorn],
    sandbox: Sandbox,
    path: str,
    headers: Mapping[str, str],
    warm_count: int = 20,
) -> ColdWarm:
    """Time `path` on a fresh server with no warm-up, then the median of `warm_count` HITs."""
    api = start_server()  # answers /health once it returns
    try:
        # One keep-alive connection: every request reaches the worker that loaded the data.
        with requests.Session() as session:
            before = sandbox.stats()
            cold_ms, cold = _timed_get(session, api.url + path, headers)
            upstream = upstream_delta(before, sandbox.stats()).total
            warm: list[float] = []
            for _ in range(warm_count * 5):
                elapsed_ms, response = _timed_get(session, api.url + path, headers)
                if response.headers.get("X-Cache") == "HIT":
                    warm.append(elapsed_ms)
                if len(warm) == warm_count:
                    break
    finally:
        api.stop()
    if not warm:
        raise PhaseError(f"GET {path} was never answered from the cache (X-Cache: HIT)")
    return ColdWarm(
        path,
        cold_ms,
        cold.headers.get("X-Cache", "-"),
        statistics.median(warm),
        len(warm),
        upstream,
    )
