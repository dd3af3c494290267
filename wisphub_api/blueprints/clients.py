"""Client routes: the whole directory, lookups by document, phone or service id, and updates."""

from __future__ import annotations

from typing import Any

from wisphub_api.blueprints.common import (
    cached_body,
    documents_errors,
    json_answer,
    no_query_parameters,
)
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.errors import NotFound
from wisphub_api.schemas.clients import ClientSchema, ClientUpdateSchema
from wisphub_api.services import current_services
from wisphub_api.upstream.errors import UpstreamNotFound

bp = Blueprint("clients", __name__, description="Look up the ISP's subscribers.")


@bp.get("/")
@bp.response(200, ClientSchema(many=True))
@documents_errors(bp, 422)
@no_query_parameters
def list_clients():
    """List every client.

    Served from the cached snapshot, pre-serialised once per snapshot; send ``If-None-Match``
    with the last ``ETag`` to get a 304 when nothing changed.
    """
    snapshot, state = current_services().directory.snapshot()
    return cached_body(snapshot.listing, state)


def _found(lookup, value: Any, what: str):
    try:
        client, state = lookup(value)
    except UpstreamNotFound:
        raise NotFound(f"No client has this {what}.", code="client_not_found") from None
    return json_answer(client.to_public(), state)


@bp.get("/by-document/<string(maxlength=40):document>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_document(document: str):
    """Find the client holding an identity document (its active service first)."""
    return _found(current_services().directory.by_document, document, "document")


@bp.get("/by-phone/<string(maxlength=60):phone>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_phone(phone: str):
    """Find the client reachable at a phone number (spaces, dashes and +57 accepted)."""
    return _found(current_services().directory.by_phone, phone, "phone")


@bp.get("/by-service-id/<int:service_id>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_service_id(service_id: int):
    """Find the client of one service."""
    return _found(current_services().directory.by_service_id, service_id, "service id")


@bp.put("/<int:service_id>")
@bp.arguments(ClientUpdateSchema)
@bp.response(200, ClientSchema)
@documents_errors(bp, 400, 404, 413, 415, 422)
@no_query_parameters
def update_client(fields: dict[str, Any], service_id: int):
    """Change profile fields in WispHub Net, then show the updated client.

    The write goes upstream first; when it fails nothing changes here and the answer is a
    502, 503 or 504.
    """
    directory = current_services().directory
    try:
        client = directory.update_profile(service_id, fields)
    except UpstreamNotFound:
        raise NotFound("No client has this service id.", code="client_not_found") from None
    return client.to_public()
