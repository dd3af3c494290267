"""Health routes: liveness, and readiness with the age of the cached data."""

from __future__ import annotations

import contextlib
from typing import Any

from wisphub_api import __version__
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.health import LivenessSchema, ReadinessSchema
from wisphub_api.state.base import SharedStateUnavailable

bp = Blueprint("health", __name__, url_prefix="/health", description="Is the service up?")


@bp.get("")
@bp.response(200, LivenessSchema)
@bp.doc(security=[])
def liveness():
    """Say that the process answers (public)."""
    return {"status": "ok", "version": __version__}


@bp.get("/ready")
@bp.response(200, ReadinessSchema)
@bp.alt_response(503, schema=ReadinessSchema, description="This worker has no client data yet.")
@bp.doc(security=[])
def readiness() -> tuple[dict[str, Any], int]:
    """Say whether this worker can answer from its data, how old it is, what is degraded.

    Per worker (each holds its own copy). 503 only while the worker has no client data; with
    stale data or a dependency down it still answers reads, so it stays in the load balancer
    (200), and says so in ``status`` and ``degraded``.
    """
    services = current_services()
    clients, plans = (services.stores[name].status() for name in ("clients", "plans"))
    shared = services.state
    # A failure is reported below; the breaker keeps this to one probe per interval.
    with contextlib.suppress(SharedStateUnavailable):
        shared.ping()
    degraded = [] if shared.healthy else ["redis" if shared.kind == "redis" else "local_state"]
    if clients["last_error"] or plans["last_error"]:
        degraded.insert(0, "wisphub")
    if not clients["warm"]:
        status = "warming"
    elif degraded:
        status = "degraded"
    else:
        status = "ready" if clients["fresh"] else "stale"
    body = {
        "status": status,
        "degraded": degraded,
        "clients": clients,
        "plans": plans,
        "shared_state": {
            "kind": shared.kind,
            "available": shared.healthy,
            "last_error": shared.last_error,
        },
    }
    return body, 200 if clients["warm"] else 503
