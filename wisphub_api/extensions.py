"""Unbound extension singletons and the keys of per-app state, bound to an app in ``create_app``.

flask-smorest's ``Api`` keeps the app and its spec on the instance, so one is made per app in
``create_app`` (tests build many apps in one process); flask-caching's ``Cache`` keeps its
per-app state in ``app.extensions`` and is safe to share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask_caching import Cache

from wisphub_api.state.cache import STATE_KEY
from wisphub_api.state.guard import Guarded

if TYPE_CHECKING:
    from wisphub_api.services.wiring import Services

# The keys of this project's entries in ``app.extensions``; defined here only (STATE_KEY lives
# beside the cache backend that reads it, which cannot import this module).
SERVICES_KEY = "wisphub_api.services"
METRICS_KEY = "wisphub_api.metrics"
API_KEY = "wisphub_api.api"

cache = Cache()


@dataclass(frozen=True)
class SharedState:
    """The shared store of an app and, when it is Redis, the client the cache shares."""

    store: Guarded
    redis: Any = None


def init_state(app: Flask) -> SharedState:
    """Connect the shared store (Redis when configured, else the host's SQLite file)."""
    from wisphub_api.state.factory import build_store, redis_client

    client = redis_client(app.config)
    state = SharedState(store=build_store(app.config, client), redis=client)
    app.extensions[STATE_KEY] = state
    return state


def init_services(app: Flask) -> Services:
    """Build the services of ``app`` from its settings and keep them in ``app.extensions``."""
    from wisphub_api.services.wiring import build_services

    with app.app_context():
        backend = cache.cache  # the cachelib backend, usable outside a request
    state = app.extensions[STATE_KEY]
    services = build_services(app.config, backend, state.store, state.redis)
    app.extensions[SERVICES_KEY] = services
    return services


def start_services(app: Flask) -> None:
    """Serve what the host already has, and (with WARMUP_ON_START) keep it fresh.

    Called last in ``create_app``, once the metrics listen to the services' events.
    """
    services = services_of(app)
    services.open()
    if app.config["WARMUP_ON_START"]:
        services.start_background()


def services_of(app: Flask) -> Services:
    """Return the services of ``app``."""
    services: Services = app.extensions[SERVICES_KEY]
    return services


def current_services() -> Services:
    """Return the services of the app handling the current request."""
    return services_of(current_app._get_current_object())  # type: ignore[attr-defined]
