"""The control plane under `/__`: health, stats, faults, knobs, billing writes, reset (no auth)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from wisphub_api.sandbox.clock import iso, tenant_now
from wisphub_api.sandbox.web import json_response, state

bp = Blueprint("sandbox_control", __name__)


def _body() -> dict[str, Any] | None:
    body = request.get_json(force=True, silent=True)
    if body is None and not request.get_data():
        return {}
    return body if isinstance(body, dict) else None


def _bad(message: str) -> Response:
    return json_response({"error": message}, 400)


@bp.get("/__health")
def health() -> Response:
    """Say the sandbox is up."""
    return json_response({"status": "ok"})


@bp.get("/__stats")
def show_stats() -> Response:
    """Show the `/api/` calls served: total, by_path, by_page, by_status."""
    return json_response(state().stats.snapshot())


@bp.post("/__stats/reset")
def reset_stats() -> Response:
    """Forget the calls counted so far."""
    state().stats.reset()
    return json_response(state().stats.snapshot())


@bp.route("/__fault", methods=["GET", "POST"])
def fault() -> Response:
    """Show or set the injected fault; any change releases stalled calls."""
    faults = state().faults
    if request.method == "POST":
        body = _body()
        if body is None:
            return _bad("the body must be a JSON object")
        try:
            faults.set(body)
        except ValueError as exc:
            return _bad(str(exc))
    return json_response(faults.snapshot())


@bp.route("/__latency", methods=["GET", "POST"])
def latency() -> Response:
    """Show or change the knobs: latency, per row, random faults, task time, token bucket."""
    knobs = state().knobs
    if request.method == "POST":
        body = _body()
        if body is None:
            return _bad("the body must be a JSON object")
        try:
            knobs.update(body)
        except ValueError as exc:
            return _bad(str(exc))
    return json_response(knobs.snapshot())


@bp.get("/__clock")
def show_clock() -> Response:
    """Show the tenant's today (what invoice and ticket windows count from) and now."""
    today = state().options.today
    return json_response({"today": today.isoformat(), "now": iso(tenant_now(today))})


@bp.get("/__billing")
def show_billing() -> Response:
    """Show the promises, payment reports (receipt size and hash, never its bytes), payments."""
    return json_response(state().billing.records())


@bp.post("/__reset")
def reset() -> Response:
    """Restore the data from the seed; clear writes, tasks, faults, stats and knobs."""
    state().reset()
    return json_response({"status": "ok"})
