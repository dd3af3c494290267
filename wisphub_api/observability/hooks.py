"""Feed the metrics from the services: snapshot cache events and calls to WispHub Net."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from flask import Flask

from wisphub_api.extensions import SERVICES_KEY

if TYPE_CHECKING:
    from wisphub_api.observability.metrics import AppMetrics

logger = logging.getLogger("wisphub_api.metrics")

# Set in app.extensions once the services are hooked: hooks attached twice would count twice.
INSTRUMENTED_KEY = "wisphub_api.instrumented"
# "/api/clientes/123/perfil/" -> "/api/clientes/{id}/perfil/": one label value per route.
_NUMERIC_SEGMENT = re.compile(r"/\d+(?=/|$)")
# Longest a worker's snapshot-age gauge lags behind while it serves hits.
AGE_UPDATE_SECONDS = 1.0


def instrument_services(app: Flask, metrics: AppMetrics) -> None:
    """Hook the metrics into the app's services now, or before its first request."""
    if _attach(app, metrics):
        return

    def attach_once() -> None:
        _attach(app, metrics)

    # The services are built after this call in create_app: attach when they exist.
    app.before_request(attach_once)


def _attach(app: Flask, metrics: AppMetrics) -> bool:
    services = app.extensions.get(SERVICES_KEY)
    if services is None:
        return False
    if app.extensions.get(INSTRUMENTED_KEY):
        return True
    app.extensions[INSTRUMENTED_KEY] = True
    for store in services.stores.values():
        store.listeners.append(_cache_listener(metrics, store))
    session = _session_of(services.upstream)
    if session is not None:
        instrument_session(session, metrics.observe_upstream)
    else:
        logger.warning("upstream client has no requests.Session: upstream calls are not counted")
    return True


def _cache_listener(metrics: AppMetrics, store: Any) -> Callable[[str, str], None]:
    children: dict[str, Any] = {}  # event -> its counter, so a hit costs no label lookup
    next_age_update = 0.0

    def listener(name: str, event: str) -> None:
        nonlocal next_age_update
        try:
            child = children.get(event)
            if child is None:
                child = children[event] = metrics.cache_events.labels(name, event)
            child.inc()
            # Hits come with nearly every request: their age gauges are set once a second at
            # most (a scrape sets them too); every other event sets them at once.
            now = time.monotonic()
            if event != "hit" or now >= next_age_update:
                next_age_update = now + AGE_UPDATE_SECONDS
                metrics.observe_snapshot(store)
        except Exception:  # counting must never fail a request
            logger.exception("cache metrics failed")

    return listener


def _session_of(upstream: Any) -> requests.Session | None:
    session = getattr(upstream, "session", None)
    return session if isinstance(session, requests.Session) else None


def upstream_path(url: str) -> str:
    """Return the path of ``url`` with numeric ids templated and without the query."""
    return _NUMERIC_SEGMENT.sub("/{id}", urlsplit(url).path) or "/"


def upstream_outcome(error: BaseException) -> str:
    """Name a failure that produced no response."""
    if isinstance(error, requests.Timeout):
        return "timeout"
    if isinstance(error, requests.ConnectionError):
        return "connection_error"
    return "error"


def instrument_session(
    session: requests.Session, observe: Callable[[str, str, str, float], None]
) -> None:
    """Time every request ``session`` sends, answered or failed, with one clock."""
    # A response hook would see answers only; wrapping send sees timeouts and resets too.
    send = session.send

    def timed_send(prepared: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        method, path = prepared.method or "GET", upstream_path(prepared.url or "")
        try:
            response = send(prepared, **kwargs)
        except Exception as exc:
            observe(method, path, upstream_outcome(exc), time.perf_counter() - started)
            raise
        outcome = f"{response.status_code // 100}xx"
        observe(method, path, outcome, time.perf_counter() - started)
        return response

    session.send = timed_send  # type: ignore[method-assign,assignment]
