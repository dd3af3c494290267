"""Run wrk against one URL and read its numbers (benchmarks/wrk/report.lua prints them as JSON)."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass

from benchmarks.stack import ROOT, machine_busy_seconds, start_process, stop_process

REPORT_SCRIPT = ROOT / "benchmarks" / "wrk" / "report.lua"
GRACE_S = 30.0


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed no result."""


@dataclass(frozen=True, slots=True)
class CpuShare:
    """CPU seconds used during a run: by the server under test, by wrk, by everything."""

    server: float
    client: float
    machine: float
    wall: float

    @property
    def others(self) -> float:
        """Return the CPU seconds of processes that are neither the server nor wrk."""
        return max(0.0, self.machine - self.server - self.client)


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run measured (latencies in milliseconds)."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    socket_errors: int  # connect, read and write errors
    timeouts: int
    non_2xx: int
    cpu: CpuShare

    @property
    def rps(self) -> float:
        """Return the requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    """Return wrk's path; raise WrkError when it is not installed (apt-get install wrk)."""
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed (apt-get install wrk)")
    return found


def parse_report(output: str) -> dict[str, int]:
    """Return the JSON line report.lua printed."""
    for line in reversed(output.splitlines()):
        if line.startswith('{"requests"'):
            return dict(json.loads(line))
    raise WrkError(f"wrk printed no result:\n{output[-2000:]}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    url: str,
    headers: dict[str, str],
    *,
    seconds: int = 20,
    connections: int = 64,
    threads: int = 2,
    server_cpu: object = None,
) -> WrkResult:
    """Run ``wrk -t<threads> -c<connections> -d<seconds>s`` against ``url``."""
    command = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--timeout", "2s", "-s", str(REPORT_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    cpu_of = server_cpu if callable(server_cpu) else (lambda: 0.0)
    server_before, client_before = cpu_of(), _children_cpu()
    busy, started = machine_busy_seconds(), time.monotonic()
    process = start_process([*command, url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = process.communicate(timeout=seconds + GRACE_S)
    except subprocess.TimeoutExpired:
        stop_process(process)
        raise WrkError(f"wrk overran {seconds} s") from None
    wall = time.monotonic() - started
    cpu = CpuShare(
        cpu_of() - server_before, _children_cpu() - client_before,
        machine_busy_seconds() - busy, wall,
    )  # fmt: skip
    data = parse_report(output.decode("utf-8", errors="replace"))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        p999_ms=data["p999_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=data["connect_errors"] + data["read_errors"] + data["write_errors"],
        timeouts=data["timeouts"],
        non_2xx=data["status_errors"],
        cpu=cpu,
    )
