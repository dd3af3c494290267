"""Per-request facts shared by the request log and the metrics: start time, route, caller."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import Rule

from wisphub_api.observability.requestlog import UNMATCHED_ROUTE

START_KEY = "wisphub_api.started"
# "<string:phone>" -> "<phone>": the template without werkzeug's converter names.
_CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
# Rule -> template, filled on first use: a regex per request would cost more than the lookup.
_TEMPLATES: dict[str, str] = {}
__all__ = [
    "START_KEY",
    "UNMATCHED_ROUTE",
    "elapsed_seconds",
    "install_middleware",
    "route_template",
    "template_of",
]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestClock:
    """WSGI middleware that notes when a request arrived, before any Flask hook runs."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        environ[START_KEY] = time.perf_counter()
        return self.app(environ, start_response)


def install_middleware(app: Flask) -> None:
    """Time every request and, behind trusted proxies, take the caller's address from them."""
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT", 0))
    wsgi = app.wsgi_app
    if proxies > 0:
        # ProxyFix reads only the last `proxies` hops of X-Forwarded-For, the ones our own
        # proxies appended; anything a caller wrote before them is ignored.
        wsgi = ProxyFix(wsgi, x_for=proxies, x_proto=proxies)
    app.wsgi_app = RequestClock(wsgi)  # type: ignore[method-assign]


def elapsed_seconds() -> float:
    """Return the seconds since the current request arrived (0 when it was not timed)."""
    started = request.environ.get(START_KEY)
    return 0.0 if started is None else time.perf_counter() - started


def route_template() -> str:
    """Return the matched rule, e.g. ``/api/v1/clients/by-phone/<phone>``, never the raw path."""
    return template_of(request.url_rule)


def template_of(rule: Rule | None) -> str:
    """Return the template of a matched rule (``UNMATCHED_ROUTE`` for none)."""
    if rule is None:
        return UNMATCHED_ROUTE
    template = _TEMPLATES.get(rule.rule)
    if template is None:
        template = _TEMPLATES[rule.rule] = _CONVERTER.sub(r"<\1>", rule.rule)
    return template
