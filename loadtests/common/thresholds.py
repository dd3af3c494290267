"""Decide whether a load-test run passes, from plain numbers (no Locust import)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The routes served from the cached client snapshot or plan list; verify is computed per request.
CACHED_PATHS = frozenset(
    f"{prefix}{path}"
    for prefix in ("/api/v1", "/api")
    for path in ("/clients", "/clients/search", "/internet-plans")
)


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Numbers for one stats row (an endpoint or the aggregated total)."""

    method: str
    name: str
    requests: int
    failures: int
    avg_ms: float
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Limits of a passing run; None disables a limit."""

    max_failures: float | None = 0
    max_avg_ms: float | None = 50
    max_cached_p95_ms: float | None = 10


@dataclass(frozen=True, slots=True)
class RowVerdict:
    """One stats row and what is wrong with it, if anything."""

    stats: EndpointStats
    cached: bool
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Tell whether the row broke no threshold."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verdict of a whole run: one row per endpoint, the total row, and the reasons to fail."""

    rows: tuple[RowVerdict, ...]
    total: RowVerdict
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Tell whether the run passed every threshold."""
        return not self.problems


def exceeds(value: float | None, limit: float | None) -> bool:
    """Tell whether a measured value is over a limit; a disabled limit or no value never is."""
    return limit is not None and value is not None and value > limit


def is_cached_route(method: str, name: str) -> bool:
    """Tell whether a stats row is a GET of a cached route (query string and trailing / ignored)."""
    path = name.split("?", 1)[0].rstrip("/")
    return method.upper() == "GET" and path in CACHED_PATHS


def failures_problem(total: EndpointStats, limit: float | None) -> str | None:
    """Describe too many failed requests, or return None."""
    if not exceeds(total.failures, limit):
        return None
    return f"{total.failures} failed request(s) of {total.requests} (limit {limit:g})"


def average_problem(total: EndpointStats, limit: float | None) -> str | None:
    """Describe an average response time over the limit, or return None."""
    if not exceeds(total.avg_ms, limit):
        return None
    return f"average response time {total.avg_ms:.1f} ms over all requests (limit {limit:g} ms)"


def p95_problem(row: EndpointStats, limit: float | None) -> str | None:
    """Describe a cached route whose p95 is over the limit, or return None."""
    if not is_cached_route(row.method, row.name) or not exceeds(row.p95_ms, limit):
        return None
    return f"p95 of {row.method} {row.name} is {row.p95_ms:g} ms (limit {limit:g} ms)"


def _row_verdict(row: EndpointStats, limits: Thresholds, failures_failed: bool) -> RowVerdict:
    problems = [p95_problem(row, limits.max_cached_p95_ms)]
    if failures_failed and row.failures:
        # Blame the rows that contributed failures once the run-wide limit is broken.
        problems.append(f"{row.failures} failure(s)")
    cached = is_cached_route(row.method, row.name)
    return RowVerdict(row, cached, tuple(p for p in problems if p))


def evaluate(
    rows: Iterable[EndpointStats],
    total: EndpointStats,
    limits: Thresholds,
    exceptions: int = 0,
) -> Verdict:
    """Apply the thresholds to per-endpoint rows and the aggregated total."""
    rows = tuple(rows)
    failures = failures_problem(total, limits.max_failures)
    idle = "no requests were made" if total.requests == 0 else None
    average = average_problem(total, limits.max_avg_ms)
    total_problems = tuple(p for p in (idle, failures, average) if p)
    slow = [p for row in rows if (p := p95_problem(row, limits.max_cached_p95_ms))]
    problems = [*total_problems, *slow]
    if exceptions:
        problems.append(f"{exceptions} exception(s) raised in user code")
    judged = tuple(_row_verdict(row, limits, failures is not None) for row in rows)
    return Verdict(judged, RowVerdict(total, False, total_problems), tuple(problems))
