"""Diagnostic routes: ping a client's equipment from its router and read the verdict."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from marshmallow import RAISE

from wisphub_api.blueprints.common import documents_errors, no_query_parameters
from wisphub_api.blueprints.idempotency import idempotent
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.i18n import translate
from wisphub_api.schemas.diagnostics import (
    DiagnosticRequestSchema,
    DiagnosticSchema,
    DiagnosticStartedSchema,
    DiagnosticWaitSchema,
)
from wisphub_api.services.diagnostics import Diagnostic

bp = Blueprint("diagnostics", __name__, description="Diagnose a subscriber's connection.")


@bp.post("/clients/<service_id:service_id>/diagnostics")
@bp.arguments(DiagnosticWaitSchema, location="query", as_kwargs=True, unknown=RAISE)
@bp.arguments(DiagnosticRequestSchema)
@bp.response(202, DiagnosticStartedSchema, description="Started: read it at Location.")
@bp.alt_response(200, schema=DiagnosticSchema, description="Finished within ?wait= seconds.")
@documents_errors(bp, 400, 404, 409, 413, 415, 422)
@idempotent("diagnostics")
def start_diagnostic(body: dict[str, Any], service_id: int, wait: int) -> Response:
    """Ping the subscriber's equipment from its router (WispHub's remote ping).

    Answers 202 at once with the diagnostic's id; with ``?wait=N`` (at most 25) waits up to N
    seconds and answers 200 with the finished Diagnostic when it ends in time. The verdict:
    stable (their equipment answers), antenna_only, no_internet, or error.
    """
    diagnostics = current_services().support.diagnostics
    diagnostic = diagnostics.start(service_id, body["pings"])
    if wait:
        diagnostic = diagnostics.wait(diagnostic.diagnostic_id, wait)
    if diagnostic.final:
        response = jsonify(public_diagnostic(diagnostic))
        response.status_code = 200
        # A replay of this answer is said in its own request's language.
        response.localized = lambda: jsonify(public_diagnostic(diagnostic))  # type: ignore[attr-defined]
    else:
        response = jsonify({"diagnostic_id": diagnostic.diagnostic_id, "status": "pending"})
        response.status_code = 202
    response.headers["Location"] = url_for(
        ".get_diagnostic", diagnostic_id=diagnostic.diagnostic_id
    )
    return response


@bp.get("/diagnostics/<string(length=32):diagnostic_id>")
@bp.response(200, DiagnosticSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_diagnostic(diagnostic_id: str) -> dict[str, Any]:
    """Show a diagnostic: pending, or done/failed with its verdict.

    However many bots read it, WispHub is asked at most once per DIAGNOSTIC_POLL_SECONDS.
    """
    return public_diagnostic(current_services().support.diagnostics.read(diagnostic_id))


def public_diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    """Return the contract's Diagnostic, its message in the request's language."""
    body = diagnostic.to_public()
    body["message"] = translate(body["message"])
    return body
