"""What the worker itself counts: its refusals, its connections and its event loop's lag.

The app's metrics count what the app answers; these count what the worker answers without it
(503 under overload, 400/414/431 for bad HTTP) and how full it is. They are written to the same
Prometheus multiprocess directory, so ``GET /metrics`` on any worker shows every worker's.
Outside gunicorn's multiprocess mode they are not kept.
"""

from __future__ import annotations

from typing import Any


class WorkerTelemetry:
    """The worker's Prometheus metrics, or no-ops when metrics are not shared."""

    def __init__(self, refusals: Any = None, connections: Any = None, lag: Any = None) -> None:
        self._refusals = refusals
        self._connections = connections
        self._lag = lag
        # The labelled counter of each (status, code, reason): looking it up takes a lock and
        # more time than the increment, thousands of times a second under overload.
        self._refused: dict[tuple[int, str, str], Any] = {}

    @classmethod
    def create(cls) -> WorkerTelemetry:
        """Make the metrics (prometheus_client is imported here, after gunicorn's on_starting)."""
        from prometheus_client import Counter, Gauge, values

        if values.ValueClass is values.MutexValue:  # not multiprocess: no scrape would see them
            return cls()
        refusals = Counter(
            "wisphub_api_worker_refusals_total",
            "Answers the gunicorn worker gave without the app: overload (503), bad HTTP (4xx).",
            ["status", "code", "reason"],
            registry=None,
        )
        connections = Gauge(
            "wisphub_api_worker_connections",
            "Client connections of the workers, open and idle (sampled each second).",
            ["state"],
            multiprocess_mode="livesum",
            registry=None,
        )
        lag = Gauge(
            "wisphub_api_worker_loop_lag_seconds",
            "How late the worker's event loop ran a timer (sampled each second).",
            multiprocess_mode="livemax",
            registry=None,
        )
        return cls(refusals, connections, lag)

    def refused(self, status: int, code: str, reason: str) -> None:
        """Count one answer the worker wrote itself, and why (lag, in_flight, parse)."""
        if self._refusals is None:
            return
        key = (status, code, reason)
        counter = self._refused.get(key)
        if counter is None:
            counter = self._refused[key] = self._refusals.labels(str(status), code, reason)
        counter.inc()

    def sample(self, table: Any, lag_seconds: float) -> None:
        """Record the connection counts and the loop lag."""
        if self._connections is None:
            return
        self._connections.labels("open").set(table.open)
        self._connections.labels("idle").set(table.idle_count)
        self._lag.set(lag_seconds)
