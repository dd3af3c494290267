"""Turn what a bench run leaves behind into numbers (pure functions, no processes, no Locust).

Three sources: Locust's ``<prefix>_stats.csv`` (what the simulated bots saw), the sandbox's
``GET /__stats`` before and after a phase (how many calls reached WispHub Net), and the API's own
JSON request lines (how long the server itself took, ``duration_ms``, per route template).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOTAL_NAME = "Aggregated"
# What Locust logs when its own process is the bottleneck.
LOCUST_CPU_WARNING = "CPU usage above 90%"
# "/api/plan-internet/pppoe/439219/" -> "/api/plan-internet/pppoe/{id}/": one row per route.
_NUMERIC_SEGMENT = re.compile(r"/\d+(?=/|$)")
# "/api/v1/clients/<service_id>/verify" -> "/api/v1/clients/{id}/verify": a template, keyed alike.
_TEMPLATE_SEGMENT = re.compile(r"<[^<>/]+>")
REQUEST_LOGGER = '"wisphub_api.request"'


class StatsError(Exception):
    """A stats file is missing or not in the expected format."""


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """One row of Locust's stats CSV: an endpoint, or the aggregated total (empty method)."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    avg_ms: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


@dataclass(frozen=True, slots=True)
class UpstreamCalls:
    """Calls the sandbox served during a phase: the total and the count per route."""

    total: int
    by_path: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ServerTiming:
    """Server-side durations of one route, in milliseconds, from the API's request lines."""

    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def _optional(raw: str) -> float | None:
    return None if raw.strip() in ("", "N/A") else float(raw)


def parse_row(row: Mapping[str, str]) -> EndpointRow:
    """Convert one row of Locust's stats CSV."""
    try:
        return EndpointRow(
            method=row["Type"],
            name=row["Name"],
            requests=int(row["Request Count"]),
            failures=int(row["Failure Count"]),
            rps=float(row["Requests/s"]),
            avg_ms=float(row["Average Response Time"]),
            p50_ms=_optional(row["50%"]),
            p95_ms=_optional(row["95%"]),
            p99_ms=_optional(row["99%"]),
            max_ms=_optional(row["100%"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StatsError(f"not a Locust stats row: {exc!r}") from None


def parse_stats_csv(text: str) -> tuple[list[EndpointRow], EndpointRow]:
    """Split a stats CSV into per-endpoint rows and the aggregated row."""
    rows = [parse_row(row) for row in csv.DictReader(io.StringIO(text))]
    totals = [row for row in rows if row.name == TOTAL_NAME and not row.method]
    if len(totals) != 1:
        raise StatsError(f"expected one {TOTAL_NAME} row, found {len(totals)}")
    return [row for row in rows if row is not totals[0]], totals[0]


def read_stats_csv(path: Path) -> tuple[list[EndpointRow], EndpointRow]:
    """Read and parse a stats CSV file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StatsError(f"cannot read {path}: {exc.strerror}") from None
    return parse_stats_csv(text)


def route_of(path: str) -> str:
    """Return a path with numeric segments templated and the query dropped."""
    return _NUMERIC_SEGMENT.sub("/{id}", path.split("?", 1)[0])


def upstream_delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> UpstreamCalls:
    """Subtract two ``/__stats`` bodies: the calls made in between, grouped by route."""
    counts: Counter[str] = Counter()
    old = before.get("by_path", {})
    for path, count in after.get("by_path", {}).items():
        counts[route_of(path)] += int(count) - int(old.get(path, 0))
    by_path = {path: count for path, count in sorted(counts.items()) if count}
    return UpstreamCalls(int(after.get("total", 0)) - int(before.get("total", 0)), by_path)


def add_upstream(calls: Iterable[UpstreamCalls]) -> UpstreamCalls:
    """Sum several phases' upstream calls."""
    total, counts = 0, Counter[str]()
    for item in calls:
        total += item.total
        counts.update(item.by_path)
    return UpstreamCalls(total, dict(sorted(counts.items())))


def percentile(ordered: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of an ascending, non-empty list."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def route_key(route: str) -> str:
    """Return a route template keyed like ``route_of`` keys a path: parameters as ``{id}``."""
    return _TEMPLATE_SEGMENT.sub("{id}", route)


def request_durations(lines: Iterable[str]) -> dict[str, list[float]]:
    """Collect ``duration_ms`` per route from the API's JSON request lines (others skipped)."""
    durations: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        if REQUEST_LOGGER not in line:
            continue
        try:
            entry = json.loads(line)
            durations[route_key(str(entry["route"]))].append(float(entry["duration_ms"]))
        except (ValueError, KeyError, TypeError):
            continue
    return dict(durations)


def server_timings(lines: Iterable[str]) -> dict[str, ServerTiming]:
    """Summarise the request lines per route: count, p50, p95, p99 and max in milliseconds."""
    timings = {}
    for route, values in request_durations(lines).items():
        values.sort()
        timings[route] = ServerTiming(
            len(values),
            percentile(values, 0.50),
            percentile(values, 0.95),
            percentile(values, 0.99),
            values[-1],
        )
    return timings


def locust_cpu_warned(log_text: str) -> bool:
    """Tell whether Locust warned that its own CPU use limited the run."""
    return LOCUST_CPU_WARNING in log_text
