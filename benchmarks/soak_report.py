"""Render a soak run as Markdown, with the bench report's tables and parsers."""

from __future__ import annotations

import argparse
import csv
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.markdown import num, table
from benchmarks.stats import (
    REQUEST_LOGGER,
    EndpointRow,
    StatsError,
    locust_cpu_warned,
    read_stats_csv,
    server_timings,
)

MAX_GROWTH = 0.10  # worker RSS may grow less than this between warm-up and the end
ROUTE_HEADERS = ["Route", "Requests", "Failures", "p50", "p95", "p99", "max"]


@dataclass
class Run:
    """What happened during the soak: faults injected and memory samples per worker."""

    started: float = 0.0
    faults: list[tuple[float, str, float]] = field(default_factory=list)  # (at, mode, seconds)
    samples: list[tuple[float, dict[int, int]]] = field(default_factory=list)  # (at, pid->RSS)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process, at the end


def cache_counts(lines: Iterable[str]) -> dict[str, int]:
    """Count the API's answers by X-Cache value (HIT, STALE, MISS) from its request lines."""
    counts: Counter[str] = Counter()
    for line in lines:
        if REQUEST_LOGGER in line:
            try:
                counts[json.loads(line).get("cache") or "-"] += 1
            except ValueError:
                continue
    return dict(counts)


def baseline_index(run: Run, args: argparse.Namespace) -> int:
    """Return the sample taken once the users are up and --warmup has passed."""
    ramp = args.users / args.spawn_rate
    at = ramp + min(args.warmup, args.minutes * 60 / 3)
    return next((i for i, (t, _) in enumerate(run.samples) if t >= at), len(run.samples) - 1)


def mib(value: int) -> str:
    """Format a byte count in MiB ("gone" for a worker no longer there)."""
    return f"{value / 2**20:.1f} MiB" if value else "gone"


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


def route_rows(rows: list[EndpointRow], total: EndpointRow) -> list[list[str]]:
    """Return one row per route and the total: requests, failures, percentiles (ms)."""
    return [
        [
            f"{row.method} {row.name}" if row.method else "**all**",
            num(row.requests),
            num(row.failures),
            num(row.p50_ms),
            num(row.p95_ms),
            num(row.p99_ms),
            num(row.max_ms),
        ]
        for row in (*rows, total)
    ]


def server_rows(lines: list[str]) -> list[list[str]]:
    """Return the server-side time per route from the API's request lines (no client overhead)."""
    return [
        [route, num(t.count), num(t.p50_ms, 1), num(t.p95_ms, 1), num(t.p99_ms, 1), num(t.max_ms)]
        for route, t in sorted(server_timings(lines).items())
        if route.startswith("/api/")
    ]


def read_failures(path: Path) -> list[dict[str, str]]:
    """Return the rows of Locust's failures CSV ([] when it is missing)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return list(csv.DictReader(text.splitlines()))


def request_section(csv_prefix: Path, lines: list[str]) -> tuple[list[str], int]:
    """Return the client-side and server-side times and the failures; the failed count."""
    try:
        rows, total = read_stats_csv(Path(f"{csv_prefix}_stats.csv"))
    except StatsError:
        return ["Locust wrote no stats.", ""], -1
    text = [
        "## Requests (ms)",
        "",
        *table(
            ["Route", "Requests", "Failures", "p50", "p95", "p99", "max"], route_rows(rows, total)
        ),
        "",
        "Server-side time of the same requests (the API's request lines, ms):",
        "",
        *table(["Route", "Requests", "p50", "p95", "p99", "max"], server_rows(lines)),
        "",
    ]
    if locust_cpu_warned((csv_prefix.parent / "locust.log").read_text(errors="replace")):
        text += [
            "Locust warned that its own CPU use was high: the client-side times above "
            "include its queueing.",
            "",
        ]
    failures = read_failures(Path(f"{csv_prefix}_failures.csv"))
    if failures:
        cells = [
            [f"{f['Method']} {f['Name']}", f["Error"][:120], f["Occurrences"]] for f in failures
        ]
        text += ["## Failures", "", *table(["Route", "Error", "Count"], cells), ""]
    return text, sum(row.failures for row in rows)


def context_section(run: Run, lines: list[str], upstream: dict[str, Any]) -> list[str]:
    """Return the faults injected, what the API and the sandbox saw, and the CPU used."""
    cpu = ", ".join(f"{name} {sec:.0f}" for name, sec in run.cpu.items() if name != "wall")
    faults = [[f"{at:.0f} s", mode, f"{length:.0f} s"] for at, mode, length in run.faults]
    return [
        "## Faults injected",
        "",
        *table(["At", "Mode", "Lasted"], faults),
        "",
        "## What the API and WispHub Net saw",
        "",
        f"- API answers by X-Cache: {cache_counts(lines)}",
        f"- Upstream calls: {upstream.get('total')}, by status: {upstream.get('by_status')}",
        f"- CPU seconds over {run.cpu.get('wall', 0):.0f} s of load: {cpu}",
        "",
    ]


def render(
    args: argparse.Namespace,
    run: Run,
    csv_prefix: Path,
    lines: list[str],
    upstream: dict[str, Any],
) -> tuple[str, bool]:
    """Return the Markdown report and whether both verdicts pass."""
    requests, failed = request_section(csv_prefix, lines)
    memory, memory_ok = memory_rows(run, args)
    requests_ok = failed == 0
    text = [
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
        *requests,
        "## Worker memory (RSS)",
        "",
        *table(["Worker pid", "Warm-up", "End", "Peak", "Growth"], memory),
        "",
        *context_section(run, lines, upstream),
    ]
    return "\n".join(text), requests_ok and memory_ok
