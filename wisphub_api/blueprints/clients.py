"""Client routes: the whole directory, lookups by document, phone or service id, and updates."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import RAISE

from wisphub_api.blueprints.common import (
    bytes_answer,
    documents_errors,
    no_query_parameters,
    prepared_answer,
)
from wisphub_api.blueprints.idempotency import idempotent
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.clients import (
    LIST_HEADERS,
    MAX_PAGE,
    ClientSchema,
    ClientUpdateSchema,
    ListQuerySchema,
)

bp = Blueprint("clients", __name__, description="Look up the ISP's subscribers.")


@bp.get("/", strict_slashes=False)
@bp.arguments(ListQuerySchema, location="query", unknown=RAISE, memo=True)
@bp.response(200, ClientSchema(many=True), headers=LIST_HEADERS)
@documents_errors(bp, 422)
def list_clients(args: dict[str, Any]) -> Response:
    """List every client, or one page of them (``limit`` and ``offset``, in service-id order).

    Served from the cached snapshot, prepared once per snapshot; ``X-Total-Count`` gives the
    number of clients. Send ``If-None-Match`` with the last ``ETag`` (each page has its own) to
    get a 304 when nothing changed.
    """
    listing, state = current_services().directory.listing()
    total = [("X-Total-Count", str(listing.count))]
    if "limit" not in args and "offset" not in args:
        return prepared_answer(listing.plain(), listing.gzipped(), listing.etag, state, total)
    offset, limit = args.get("offset", 0), args.get("limit", MAX_PAGE)
    body, gzipped = listing.page_answer(offset, limit)
    etag = f"{listing.etag}-{offset}-{limit}"
    return prepared_answer([body], [gzipped], etag, state, total)


@bp.get("/by-document/<string(maxlength=40):document>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_document(document: str) -> Response:
    """Find the client holding an identity document (its active service first)."""
    found, state = current_services().directory.find_by_document(document)
    return bytes_answer(found.body, state)


@bp.get("/by-phone/<string(maxlength=60):phone>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_phone(phone: str) -> Response:
    """Find the client reachable at a phone number (spaces, dashes and +57 accepted)."""
    found, state = current_services().directory.find_by_phone(phone)
    return bytes_answer(found.body, state)


@bp.get("/by-service-id/<service_id:service_id>")
@bp.response(200, ClientSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_by_service_id(service_id: int) -> Response:
    """Find the client of one service."""
    found, state = current_services().directory.find_by_service_id(service_id)
    return bytes_answer(found.body, state)


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
