"""Health routes: liveness, and readiness with the age of the cached data."""

from __future__ import annotations

from wisphub_api import __version__
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.health import LivenessSchema, ReadinessSchema

bp = Blueprint("health", __name__, url_prefix="/health", description="Is the service up?")


@bp.get("")
@bp.response(200, LivenessSchema)
@bp.doc(security=[])
def liveness():
    """Say that the process answers (public)."""
    return {"status": "ok", "version": __version__}


@bp.get("/ready")
@bp.response(200, ReadinessSchema)
@bp.alt_response(503, schema=ReadinessSchema, description="The client directory is not loaded.")
@bp.doc(security=[])
def readiness():
    """Say whether the client directory is warm, and how old the cached data is (public).

    503 until the client snapshot is loaded, so a load balancer sends no bot to a cold worker.
    """
    stores = current_services().stores
    clients, plans = stores["clients"].status(), stores["plans"].status()
    body = {"status": "ready" if clients["warm"] else "warming", "clients": clients, "plans": plans}
    return body, 200 if clients["warm"] else 503
