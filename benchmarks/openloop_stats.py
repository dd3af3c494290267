"""Summarise an open-loop run: served and refused answers, their latencies, second by second."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TIMEOUT = -1  # status of a request unanswered within the generator's timeout
CONNECTION_ERROR = -2  # status of a request whose connection failed or closed


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request: its phase, when it was due, how long until its answer, and the status."""

    phase: str
    due: float
    seconds: float
    status: int
    sent_late: float = 0.0  # seconds between when it was due and when the generator sent it


def percentile_ms(values: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of seconds, in milliseconds (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(1, math.ceil(fraction * len(ordered))) - 1] * 1000, 1)


def latency_summary(seconds: list[float]) -> dict[str, Any]:
    """Return count, p50, p99 and max (ms) of some latencies."""
    return {
        "count": len(seconds),
        "p50_ms": percentile_ms(seconds, 0.50),
        "p99_ms": percentile_ms(seconds, 0.99),
        "max_ms": percentile_ms(seconds, 1.0),
    }


def phase_summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Summarise one phase: answers by kind, latencies of each kind, the share over 1 s."""
    served = [o.seconds for o in outcomes if 200 <= o.status < 300]
    refused = [o.seconds for o in outcomes if o.status == 503]
    other = [o for o in outcomes if not (200 <= o.status < 300 or o.status == 503)]
    answered = served + refused
    return {
        "sent": len(outcomes),
        # The generator's own lateness: time waiting for a connection or for its own loop.
        "sent_late_p99_ms": percentile_ms([o.sent_late for o in outcomes], 0.99),
        "served": latency_summary(served),
        "refused_503": latency_summary(refused),
        "timeouts": sum(1 for o in other if o.status == TIMEOUT),
        "connection_errors": sum(1 for o in other if o.status == CONNECTION_ERROR),
        "other_status": sum(1 for o in other if o.status > 0),
        "over_1s": sum(1 for s in answered if s > 1.0) + sum(1 for o in other if o.status < 0),
    }


def per_second(outcomes: Iterable[Outcome], start: float) -> list[dict[str, Any]]:
    """Return, for each second of due time, how many were served and refused, and their p99."""
    buckets: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        buckets[int(outcome.due - start)].append(outcome)
    rows = []
    for second in sorted(buckets):
        group = buckets[second]
        served = [o.seconds for o in group if 200 <= o.status < 300]
        rows.append(
            {
                "second": second,
                "phase": group[0].phase,
                "served": len(served),
                "refused_503": sum(1 for o in group if o.status == 503),
                "failed": sum(1 for o in group if o.status < 0),
                "served_p99_ms": percentile_ms(served, 0.99),
            }
        )
    return rows


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    """Return the whole run's summary: each phase, then second by second."""
    if not outcomes:
        return {"phases": {}, "seconds": []}
    start = min(o.due for o in outcomes)
    phases: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        phases[outcome.phase].append(outcome)
    return {
        "phases": {name: phase_summary(group) for name, group in phases.items()},
        "seconds": per_second(outcomes, start),
    }
