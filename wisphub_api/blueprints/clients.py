"""Client routes: the whole directory, lookups by document, phone or service id, and updates."""

from __future__ import annotations

from typing import Any

from flask import Response

from wisphub_api.blueprints.common import (
    cached_body,
    documents_errors,
    json_answer,
    no_query_parameters,
)
from wisphub_api.blueprints.idempotency import idempotent
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.clients import ClientSchema, ClientUpdateSchema

bp = Blueprint("clients", __name__, description="Look up the ISP's subscribers.")


@bp.get("/", strict_slashes=False)
@bp.response(200, ClientSchema(many=True))
@documents_errors(bp, 422)
@no_query_parameters
def list_clients() -> Response:
    """List every client.

    Served from the cached snapshot, pre-serialised once per snapshot; send ``If-None-Match``
    with the last ``ETag`` to get a 304 when nothing changed.
    """
    snapshot, state = current_services().directory.snapshot()
    return cached_body(snapshot.listing, state)


@bp.get("/by-document/<string(maxlength=40):document>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_document(document: str) -> Response:
    """Find the client holding an identity document (its active service first)."""
    client, state = current_services().directory.by_document(document)
    return json_answer(client.to_public(), state)


@bp.get("/by-phone/<string(maxlength=60):phone>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_phone(phone: str) -> Response:
    """Find the client reachable at a phone number (spaces, dashes and +57 accepted)."""
    client, state = current_services().directory.by_phone(phone)
    return json_answer(client.to_public(), state)


@bp.get("/by-service-id/<service_id:service_id>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_service_id(service_id: int) -> Response:
    """Find the client of one service."""
    client, state = current_services().directory.by_service_id(service_id)
    return json_answer(client.to_public(), state)


@bp.put("/<service_id:service_id>")
@bp.arguments(ClientUpdateSchema)
@bp.response(200, ClientSchema)
@documents_errors(bp, 400, 404, 409, 413, 415, 422)
@no_query_parameters
@idempotent("clients")
def update_client(fields: dict[str, Any], service_id: int) -> dict[str, Any]:
    """Change profile fields in WispHub Net, then show the updated client.

    The write goes upstream first; when it fails nothing changes here and the answer is a
    502, 503 or 504. With ``Idempotency-Key``, a retry gets the first answer and is not sent
    again.
    """
    return current_services().directory.update_profile(service_id, fields).to_public()
