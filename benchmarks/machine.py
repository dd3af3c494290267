"""Describe the machine a bench ran on: CPU, cores, memory, Python and tool versions."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Machine:
    """What the report says about the machine and the software that ran the bench."""

    cpu_model: str
    cores: int
    ram_gib: float
    kernel: str
    python: str
    gunicorn: str
    gevent: str
    locust: str
    load_average: str
    date: str


def machine_rows(
    machine: Machine, *, with_locust: bool = True, load_end: str | None = None
) -> list[list[str]]:
    """Return the rows of a report's machine table (Locust's version, the load at the end)."""
    tools = ["gunicorn / gevent", f"{machine.gunicorn} / {machine.gevent}"]
    if with_locust:
        tools = ["gunicorn / gevent / Locust", f"{tools[1]} / {machine.locust}"]
    rows = [
        ["CPU", machine.cpu_model],
        ["Cores usable", str(machine.cores)],
        ["RAM", f"{machine.ram_gib:g} GiB"],
        ["Kernel", machine.kernel],
        ["Python", machine.python],
        tools,
        ["Load average at start (1/5/15 min)", machine.load_average],
    ]
    if load_end is not None:
        rows.append(["Load average at end (1/5/15 min)", load_end])
    return [*rows, ["Date", machine.date]]


def cpu_model(cpuinfo: str) -> str:
    """Return the first "model name" of /proc/cpuinfo, or "unknown"."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return "unknown"


def mem_total_gib(meminfo: str) -> float:
    """Return MemTotal of /proc/meminfo in GiB, or 0.0 when absent."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            return round(kib / 1024 / 1024, 1)
    return 0.0


def usable_cores() -> int:
    """Count the CPUs this process may run on (a container's cpuset, not the host's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages, or "unknown"."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def describe(now: datetime | None = None) -> Machine:
    """Describe this machine now."""
    now = now or datetime.now(UTC)
    return Machine(
        cpu_model=cpu_model(_read("/proc/cpuinfo")) or platform.processor(),
        cores=usable_cores(),
        ram_gib=mem_total_gib(_read("/proc/meminfo")),
        kernel=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        gunicorn=_version("gunicorn"),
        gevent=_version("gevent"),
        locust=_version("locust"),
        load_average=load_average(),
        date=now.strftime("%Y-%m-%d %H:%M UTC"),
    )
