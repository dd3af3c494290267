"""What every `/api/` call goes through: stats, faults, latency, slash redirects, the Api-Key."""

from __future__ import annotations

import re

from flask import Response, current_app, g, request
from gevent import sleep
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from wisphub_api.sandbox.faults import Fault
from wisphub_api.sandbox.listing import page_key
from wisphub_api.sandbox.permissions import allowed
from wisphub_api.sandbox.state import SandboxState
from wisphub_api.sandbox.stats import DROPPED
from wisphub_api.sandbox.web import (
    DROP_KEY,
    FORBIDDEN_BODY,
    json_response,
    server_error,
    state,
    throttled,
)

API_PREFIX = "/api/"
LIST_PATHS = frozenset(
    {
        "/api/clientes/",
        "/api/plan-internet/",
        "/api/zonas/",
        "/api/router/",
        "/api/staff/",
        "/api/tickets/",
        "/api/facturas/",
        "/api/formas-de-pago/",
    }
)
AUTHORIZATION = re.compile(r"Api-Key ([A-Za-z0-9]{8}\.[A-Za-z0-9]{32})")


def _page(sandbox: SandboxState) -> str | None:
    if request.method != "GET" or request.path not in LIST_PATHS:
        return None
    options = sandbox.options
    return page_key(request.path, request.args, options.default_limit, options.max_limit)


def _authorized(sandbox: SandboxState) -> bool:
    # Missing, malformed, unknown, or lacking this endpoint's permission: one and the same 403.
    match = AUTHORIZATION.fullmatch(request.headers.get("Authorization", ""))
    permissions = sandbox.keys.get(match.group(1)) if match is not None else None
    return permissions is not None and allowed(permissions, request.endpoint)


def _canonical_redirect() -> Response | None:
    # Django's APPEND_SLASH: the other spelling of a known URL answers 301, query kept.
    path = request.path
    alternate = path[:-1] if path.endswith("/") else f"{path}/"
    try:
        current_app.url_map.bind("sandbox").match(alternate, method=request.method)
    except MethodNotAllowed:
        pass  # the URL exists; Django redirects whatever the method
    except HTTPException:
        return None
    query = request.query_string.decode("latin-1")
    location = f"{alternate}?{query}" if query else alternate
    return Response(status=301, headers={"Location": location})


def _early_fault(
    sandbox: SandboxState, mode: str | None, fault: Fault | None, generation: int
) -> Response | None:
    if mode == "error":
        return server_error()
    if mode == "forbidden":
        return json_response(FORBIDDEN_BODY, 403)
    if mode == "rate_limited":
        return throttled(fault.retry_after if fault is not None else 0)
    if mode == "down":
        request.environ[DROP_KEY] = True
        return Response(status=500)
    if mode == "stall":
        sandbox.faults.stall(sandbox.knobs.stall_seconds, generation)
    elif mode == "slow" and fault is not None:
        sleep(fault.delay)
    return None


def _route_and_auth(sandbox: SandboxState) -> Response | None:
    routing_error = request.routing_exception
    if routing_error is not None and not isinstance(routing_error, MethodNotAllowed):
        return _canonical_redirect()  # None lets Flask answer the 404
    if not _authorized(sandbox):
        return json_response(FORBIDDEN_BODY, 403)
    # DRF throttles after authentication, so the bucket only spends on authenticated calls.
    knobs = sandbox.knobs
    wait = sandbox.bucket.take(knobs.rate_limit, knobs.rate_limit_burst)
    return throttled(wait) if wait is not None else None


def before_api() -> Response | None:
    """Count the call, inject its fault, wait its base latency, then route and authenticate."""
    if not request.path.startswith(API_PREFIX):
        return None
    sandbox = state()
    sandbox.stats.arrive(request.path, _page(sandbox))
    g.sandbox_api, g.sandbox_rows = True, 0
    fault = sandbox.faults.take(request.path)
    generation = sandbox.faults.generation
    mode = fault.mode if fault is not None else sandbox.chaos.random_mode(sandbox.knobs)
    g.sandbox_mode = mode
    sleep(sandbox.chaos.base_delay(sandbox.knobs))
    early = _early_fault(sandbox, mode, fault, generation)
    return early if early is not None else _route_and_auth(sandbox)


def after_api(response: Response) -> Response:
    """Add the per-row latency, truncate a 2xx body for invalid_json, and count the status."""
    if not getattr(g, "sandbox_api", False):
        return response
    sandbox = state()
    dropped = bool(request.environ.get(DROP_KEY))
    rows = getattr(g, "sandbox_rows", 0)
    if rows and not dropped:
        sleep(rows * sandbox.knobs.per_row_ms / 1000.0)
    if g.sandbox_mode == "invalid_json" and 200 <= response.status_code < 300:
        body = response.get_data()
        response.set_data(body[: max(1, len(body) // 2)])
    sandbox.stats.finish(DROPPED if dropped else response.status_code)
    return response
