"""The FastAPI middleware's support spellings, under ``/api`` only, for bots written against it.

Same answers as that middleware gives, from the same services as the ``/api/v1`` routes:
``GET /api/tickets/zone-blocked/<zone_id>`` is a zone's known outage, ``POST
/api/<service_id>/ping/`` starts a diagnostic (its id is the ``task_id``), and ``GET
/api/ping/<task_id>/`` reads it. ``POST /api/tickets`` needs no route here: it is the alias of
``POST /api/v1/tickets``, whose body accepts the middleware's ``zone_id``.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from wisphub_api.blueprints.common import documents_errors, json_answer, no_query_parameters
from wisphub_api.blueprints.diagnostics import public_diagnostic
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.diagnostics import (
    DiagnosticRequestSchema,
    PingResultSchema,
    PingStartedSchema,
)
from wisphub_api.schemas.tickets import ZoneBlockedSchema

bp = Blueprint(
    "compat_support",
    __name__,
    description="The FastAPI middleware's spellings of the support routes (under /api only).",
)


@bp.get("/tickets/zone-blocked/<zone_id:zone_id>")
@bp.response(200, ZoneBlockedSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def zone_blocked(zone_id: int) -> Response:
    """Say whether a zone has a known outage (GET /api/v1/zones/<zone_id>/outage)."""
    outage, state = current_services().support.outages.zone(zone_id)
    body = {"is_blocked": outage.known, "max_tickets": outage.max_open_tickets}
    return json_answer(body, state)


@bp.post("/<service_id:service_id>/ping/")
@bp.arguments(DiagnosticRequestSchema)
@bp.response(200, PingStartedSchema)
@documents_errors(bp, 400, 404, 413, 415, 422)
@no_query_parameters
def start_ping(body: dict[str, Any], service_id: int) -> dict[str, Any]:
    """Start a diagnostic (POST /api/v1/clients/<service_id>/diagnostics); its id is task_id."""
    diagnostic = current_services().support.diagnostics.start(service_id, body["pings"])
    return {"task_id": diagnostic.diagnostic_id}


@bp.get("/ping/<string(length=32):task_id>/")
@bp.response(200, PingResultSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def ping_result(task_id: str) -> dict[str, Any]:
    """Read a diagnostic (GET /api/v1/diagnostics/<id>): its verdict as status, and message."""
    diagnostic = public_diagnostic(current_services().support.diagnostics.read(task_id))
    return {"status": diagnostic["verdict"], "message": diagnostic["message"]}
