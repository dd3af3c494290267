"""The fast lane: the hottest cached GETs answered before Flask, with the same bytes and effects.

A bot's ``GET /internet-plans/``, ``GET /clients/`` or ``GET /clients/search?q=...`` served from
the snapshot is prepared bytes; Flask's request machinery around it (the request context, URL
matching, the hooks, flask-smorest's wrappers, werkzeug's Response and its header handling) cost
about two thirds of the request. This WSGI layer, between the request clock (and ProxyFix) and
Flask, answers exactly those requests itself, with what the app would answer: the same status,
headers (ETag, gzip, ``X-Cache``/``X-Cache-Age``, ``X-Total-Count``, ``X-Request-ID``, the
security headers) and body, the same request log line and metrics, the same snapshot events.

It takes only a GET or HEAD of one of those routes' exact paths (found in the URL map, so an
alias or a changed prefix follows the app) with an accepted ``X-API-Key``, no body, no Origin
while CORS is on, and:

* plans and the client list: no query string (a page of the list is the app's) and no
  conditional or range header (304s stay werkzeug's);
* search: a query string the route has already validated (its query memo holds it).

and only while the snapshot is usable now. Everything else — a missing or wrong key, other
parameters, a cold or failed snapshot, any error — goes to the app untouched, which answers it
as it always did. ``FAST_LANE=false`` leaves every request to the app (tests/test_fastlane.py
sends the same requests both ways and compares).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header

from wisphub_api.auth import key_is_valid
from wisphub_api.blueprints.common import cache_headers, is_conditional, prepared_parts
from wisphub_api.blueprints.parsing import QueryMemo
from wisphub_api.extensions import METRICS_KEY, SERVICES_KEY
from wisphub_api.http import missing_security_headers
from wisphub_api.observability.context import START_KEY, template_of
from wisphub_api.observability.hooks import INSTRUMENTED_KEY
from wisphub_api.observability.requestlog import log_request_line, request_id_from
from wisphub_api.services.snapshots import CacheState

__all__ = ["FastLane", "init_app"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# (body pieces, headers after Content-Type, the X-Cache value) or None: the app answers.
Answer = tuple[Sequence[bytes], list[tuple[str, str]], str] | None
Route = tuple[Callable[[dict[str, Any]], Answer], str]

PLANS_ENDPOINT = "list_plans"  # of the plans blueprint and its /api alias
CLIENTS_ENDPOINT = "list_clients"
SEARCH_ENDPOINT = "search_clients"
_CONTENT_TYPE = ("Content-Type", "application/json")
_STATUS = "200 OK"
# Accept-Encoding value -> whether it takes gzip (werkzeug's reading); bots send few values.
_GZIP: dict[str, bool] = {}
_GZIP_ENTRIES = 256


def init_app(app: Flask) -> None:
    """Put the fast lane in front of Flask's own WSGI app (before the request clock wraps it)."""
    if app.config["FAST_LANE"]:
        app.wsgi_app = FastLane(app, app.wsgi_app)  # type: ignore[method-assign]


def accepts_gzip(value: str | None) -> bool:
    """Tell whether ``Accept-Encoding: value`` takes gzip, as ``request.accept_encodings``."""
    key = value or ""
    found = _GZIP.get(key)
    if found is None:
        found = bool(parse_accept_header(value)["gzip"])
        if len(_GZIP) >= _GZIP_ENTRIES:
            _GZIP.clear()
        _GZIP[key] = found
    return found


class FastLane:
    """WSGI middleware answering plain cached GETs of the plans, the list and search (see above)."""

    def __init__(self, app: Flask, wsgi: WsgiApp) -> None:
        self.app = app
        self.wsgi = wsgi
        # path -> (answer, the rule's template): read from the URL map on the first request,
        # when every blueprint is registered.
        self._routes: dict[str, Route] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        routes = self._routes
        if routes is None:
            routes = self._routes = self._find_routes()
        route = routes.get(environ.get("PATH_INFO", ""))
        if route is not None:
            method = environ.get("REQUEST_METHOD")
            if (method == "GET" or method == "HEAD") and self._plain(environ):
                try:
                    answer = route[0](environ)
                except Exception:  # the app answers it, its own way
                    answer = None
                if answer is not None:
                    return self._finish(environ, method, route[1], answer, start_response)
        return self.wsgi(environ, start_response)

    # -- which requests ------------------------------------------------------------------------
    def _find_routes(self) -> dict[str, Route]:
        answers: dict[str, Callable[[dict[str, Any]], Answer]] = {
            PLANS_ENDPOINT: self._plans,
            CLIENTS_ENDPOINT: self._clients,
            SEARCH_ENDPOINT: self._search,
        }
        adapter = self.app.url_map.bind("")
        routes: dict[str, Route] = {}
        for rule in self.app.url_map.iter_rules():
            answer = answers.get(rule.endpoint.rpartition(".")[2])
            if answer is None or rule.arguments or "GET" not in (rule.methods or ()):
                continue
            paths = [rule.rule]
            if not rule.strict_slashes and rule.rule.endswith("/"):
                paths.append(rule.rule[:-1])  # matched as well, without a redirect
            for path in paths:
                try:
                    matched, _ = adapter.match(path, "GET", return_rule=True)
                except HTTPException:  # a redirect, or no such route for GET: the app's
                    continue
                if matched is rule:  # what Flask would dispatch this path to
                    routes[path] = (answer, template_of(rule))
        return routes

    def _plain(self, environ: dict[str, Any]) -> bool:
        """Tell whether nothing but the route and its cache decides the answer."""
        config = self.app.config
        key = environ.get("HTTP_X_API_KEY")
        if not key or not key_is_valid(key, config["WISPHUB_INTERNAL_API_KEY"]):
            return False
        if environ.get("CONTENT_LENGTH", "") not in ("", "0"):
            return False
        if "HTTP_TRANSFER_ENCODING" in environ:
            return False
        if config["CORS_ORIGINS"] and "HTTP_ORIGIN" in environ:
            return False
        # Until the services are instrumented (the app's first request does it), the app answers.
        return bool(self.app.extensions.get(INSTRUMENTED_KEY))

    # -- the answers ---------------------------------------------------------------------------
    def _plans(self, environ: dict[str, Any]) -> Answer:
        if environ.get("QUERY_STRING") or is_conditional(environ):
            return None
        found = self.app.extensions[SERVICES_KEY].plans.snapshot_ready()
        if found is None:
            return None
        snapshot, state = found
        listing = snapshot.listing
        return _prepared(environ, [listing.body], [listing.gzipped], listing.etag, state)

    def _clients(self, environ: dict[str, Any]) -> Answer:
        if environ.get("QUERY_STRING") or is_conditional(environ):
            return None
        found = self.app.extensions[SERVICES_KEY].directory.listing_ready()
        if found is None:
            return None
        listing, state = found
        total = ("X-Total-Count", str(listing.count))
        return _prepared(environ, listing.plain(), listing.gzipped(), listing.etag, state, total)

    def _search(self, environ: dict[str, Any]) -> Answer:
        from wisphub_api.blueprints.search import QUERY_SCHEMA  # the route's schema

        memo: QueryMemo | None = getattr(QUERY_SCHEMA, QueryMemo.ATTRIBUTE, None)
        if memo is None:
            return None
        query = environ.get("QUERY_STRING", "").encode("latin-1")
        args = memo.get((query, "raise"))  # loaded (and valid) before, with unknown=RAISE
        if args is None:
            return None
        found = self.app.extensions[SERVICES_KEY].directory.search_ready(args["q"], args["limit"])
        if found is None:
            return None
        body, state = found
        headers = [("Content-Length", str(len(body))), *cache_headers(state)]
        return [body], headers, state.status

    # -- what the after-request hooks do ------------------------------------------------------
    def _finish(
        self,
        environ: dict[str, Any],
        method: str,
        route: str,
        answer: tuple[Sequence[bytes], list[tuple[str, str]], str],
        start_response: Callable[..., Any],
    ) -> Iterable[bytes]:
        body, headers, cache = answer
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        headers = [_CONTENT_TYPE, *headers, ("X-Request-ID", request_id)]
        headers.extend(missing_security_headers(headers))
        started = environ.get(START_KEY)
        seconds = 0.0 if started is None else time.perf_counter() - started
        self.app.extensions[METRICS_KEY].observe_request(method, route, 200, seconds)
        log_request_line(
            method=method,
            route=route,
            status=200,
            duration_ms=round(seconds * 1000, 2),
            remote_addr=environ.get("REMOTE_ADDR"),
            cache=cache,
            request_id=request_id,
        )
        start_response(_STATUS, headers)
        return () if method == "HEAD" else body


def _prepared(
    environ: dict[str, Any],
    plain: Sequence[bytes],
    gzipped: Sequence[bytes],
    etag: str,
    state: CacheState,
    *extra: tuple[str, str],
) -> Answer:
    """Answer prepared bytes as ``prepared_answer`` does for a request with no conditional."""
    gzip = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
    body, headers = prepared_parts(plain, gzipped, etag, state, gzip, conditional=False)
    return body, [*headers, *extra], state.status
