"""Identity routes: verify what a person claims, resolve a client without a service id."""

from __future__ import annotations

from typing import Any

from flask import Response

from wisphub_api.blueprints.common import documents_errors, json_answer, no_query_parameters
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.i18n import plural, translate
from wisphub_api.schemas.clients import ClientSchema
from wisphub_api.schemas.verification import (
    EndUserHeaderSchema,
    ResolveRequestSchema,
    VerifyRequestSchema,
    VerifyResponseSchema,
)

bp = Blueprint("verification", __name__, description="Confirm who a subscriber is.")


@bp.post("/<service_id:service_id>/verify")
@bp.arguments(EndUserHeaderSchema, location="headers", as_kwargs=True)
@bp.arguments(VerifyRequestSchema)
@bp.response(200, VerifyResponseSchema)
@documents_errors(bp, 400, 404, 413, 415, 422, 429)
@no_query_parameters
def verify_client(claims: dict[str, Any], service_id: int, end_user: str | None = None) -> Response:
    """Check claimed facts against the subscriber of a service.

    Text is compared by whole words after folding case, accents, punctuation and address
    prefixes; a price matches within ±1. The answer names the matched request fields and never
    the stored values. After too many failures the answer is 429 until the window passes: per
    person and service when ``X-End-User`` is sent, per service otherwise; 503 when the failure
    counters cannot be reached (verification never fails open).
    """
    result, state = current_services().identity.verify(service_id, claims, end_user=end_user)
    wording = result.wording
    body = {
        "is_valid": result.is_valid,
        "matched_fields": list(result.matched_fields),
        "message": (
            plural(wording.singular, wording.plural, wording.num, **dict(wording.values))
            if wording is not None
            else translate(result.message)
        ),
    }
    return json_answer(body, state)


@bp.post("/resolve")
@bp.arguments(ResolveRequestSchema)
@bp.response(200, ClientSchema)
@documents_errors(bp, 400, 404, 409, 413, 415, 422)
@no_query_parameters
def resolve_client(claims: dict[str, Any]) -> Response:
    """Find the one client matching a name, address, plan name and plan price.

    404 when nobody matches, 409 when several do (never an arbitrary pick). A name claim needs
    at least two of the stored name's words: a first name alone never matches.
    """
    client, state = current_services().identity.resolve(claims)
    return json_answer(client.to_public(), state)
