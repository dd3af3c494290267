"""Unbound extension singletons and the keys of per-app state, bound to an app in ``create_app``.

flask-smorest's ``Api`` keeps the app and its spec on the instance, so one is made per app in
``create_app`` (tests build many apps in one process); flask-caching's ``Cache`` keeps its
per-app state in ``app.extensions`` and is safe to share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app
from flask_caching import Cache

if TYPE_CHECKING:
    from wisphub_api.services.wiring import Services

# The keys of this project's entries in ``app.extensions``; defined here only.
SERVICES_KEY = "wisphub_api.services"
METRICS_KEY = "wisphub_api.metrics"
API_KEY = "wisphub_api.api"

cache = Cache()


def init_services(app: Flask) -> Services:
    """Build the services of ``app`` from its settings and keep them in ``app.extensions``."""
    from wisphub_api.services.wiring import build_services

    with app.app_context():
        backend = cache.cache  # the cachelib backend, usable outside a request
    services = build_services(app.config, backend)
    app.extensions[SERVICES_KEY] = services
    if app.config["WARMUP_ON_START"]:
        services.start_background()
    return services


def services_of(app: Flask) -> Services:
    """Return the services of ``app``."""
    services: Services = app.extensions[SERVICES_KEY]
    return services


def current_services() -> Services:
    """Return the services of the app handling the current request."""
    return services_of(current_app._get_current_object())  # type: ignore[attr-defined]
