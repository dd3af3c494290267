"""Prometheus metrics of one app, and ``GET /metrics`` in the text format.

With several gunicorn workers each process counts its own requests; when
``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn.conf.py sets it), prometheus_client writes every value
to a file in that directory and a scrape merges the files of all workers. Without it, each app
keeps its own registry, so tests can build many apps in one process.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

from wisphub_api.extensions import METRICS_KEY, SERVICES_KEY

logger = logging.getLogger("wisphub_api.metrics")

# Served from a cached snapshot a request takes well under a millisecond; a cold load waits on
# WispHub Net for seconds. The buckets span both.
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Label values a method may take; any other method a caller sends is counted as OTHER.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# WispHub Net answers in 0.3-0.6 s, a 300-row page in seconds, and the read timeout is 10 s.
UPSTREAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)


def multiprocess_enabled() -> bool:
    """Tell whether prometheus_client writes values to files shared by worker processes."""
    # prometheus_client chooses once, at import, from PROMETHEUS_MULTIPROC_DIR; scraping must read
    # wherever the values are written, so ask it instead of reading the setting a second time.
    return values.ValueClass is not values.MutexValue


class AppMetrics:
    """The metrics of one app."""

    def __init__(self, *, shared: bool) -> None:
        self.shared = shared
        # (method, route, status) -> its counter and histogram: no label lookup per request.
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        # In shared (multiprocess) mode values live in files and a registry is built per scrape.
        self.registry = None if shared else CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "wisphub_api_http_requests_total",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "wisphub_api_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route", "status_class"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "wisphub_api_errors_total",
            "Error answers by machine code.",
            ["code"],
            registry=registry,
        )
        self.cache_events = Counter(
            "wisphub_api_cache_events_total",
            "Snapshot cache events: hit, miss, stale, load_shared, refresh_ok, refresh_error.",
            ["store", "event"],
            registry=registry,
        )
        self.upstream_calls = Counter(
            "wisphub_api_upstream_requests_total",
            "Calls to WispHub Net by outcome.",
            ["method", "path", "outcome"],
            registry=registry,
        )
        self.upstream_latency = Histogram(
            "wisphub_api_upstream_request_duration_seconds",
            "Time of one call to WispHub Net.",
            ["method", "path", "outcome"],
            buckets=UPSTREAM_BUCKETS,
            registry=registry,
        )
        # livemax: the oldest data any live worker serves; a dead worker's value is dropped.
        self.snapshot_age = Gauge(
            "wisphub_api_snapshot_age_seconds",
            "Age of the snapshot a worker serves (updated on cache events and scrapes).",
            ["store"],
            multiprocess_mode="livemax",
            registry=registry,
        )
        # livemin: exact without updates between refreshes; alert on time() minus this.
        self.snapshot_fetched = Gauge(
            "wisphub_api_snapshot_fetched_timestamp_seconds",
            "Unix time at which the snapshot a worker serves was read from WispHub Net.",
            ["store"],
            multiprocess_mode="livemin",
            registry=registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration."""
        if method not in KNOWN_METHODS:
            method = "OTHER"  # a caller must not mint label values
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            # Routes are templates and methods are few, so this map stays small.
            children = self._request_children[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route, f"{status // 100}xx"),
            )
        children[0].inc()
        children[1].observe(seconds)

    def observe_upstream(self, method: str, path: str, outcome: str, seconds: float) -> None:
        """Count one call to WispHub Net and its duration."""
        self.upstream_calls.labels(method, path, outcome).inc()
        self.upstream_latency.labels(method, path, outcome).observe(seconds)

    def observe_snapshot(self, store: Any) -> None:
        """Record the age of the snapshot ``store`` serves in this process."""
        age = store.age()
        if age is not None:
            self.snapshot_age.labels(store.name).set(age)
            self.snapshot_fetched.labels(store.name).set(time.time() - age)

    def render(self) -> bytes:
        """Return every metric in Prometheus' text format (all workers' in shared mode)."""
        registry = self.registry
        if registry is None:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)


def error_code(response: Response) -> str:
    """Return the machine code of an error answer (``http_<status>`` when it has none)."""
    body = None if response.is_streamed else response.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else f"http_{response.status_code}"


def show_metrics() -> Response:
    """Show the metrics in Prometheus' text format."""
    metrics: AppMetrics = current_app.extensions[METRICS_KEY]
    services = current_app.extensions.get(SERVICES_KEY)
    for store in services.stores.values() if services is not None else ():
        metrics.observe_snapshot(store)
    return Response(metrics.render(), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> AppMetrics:
    """Create the metrics of ``app`` and serve ``GET /metrics`` (the answer hook counts)."""
    metrics = AppMetrics(shared=multiprocess_enabled())
    app.extensions[METRICS_KEY] = metrics
    app.add_url_rule(
        "/metrics", endpoint="observability_metrics", view_func=show_metrics, methods=["GET"]
    )
    return metrics
