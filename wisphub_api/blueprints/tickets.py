"""Ticket routes: the subjects, open a ticket, read one, a client's tickets, a zone's outage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, url_for
from marshmallow import RAISE

from wisphub_api.blueprints.common import documents_errors, json_answer, no_query_parameters
from wisphub_api.blueprints.idempotency import idempotent
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services, services_of
from wisphub_api.schemas.tickets import (
    ClientTicketsQuerySchema,
    OutageSchema,
    SubjectsSchema,
    TicketCreateSchema,
    TicketSchema,
)

if TYPE_CHECKING:
    from flask_smorest import Api

bp = Blueprint("tickets", __name__, description="Support tickets and known outages.")


@bp.get("/tickets/subjects")
@bp.response(200, SubjectsSchema)
@documents_errors(bp, 422)
@no_query_parameters
def list_subjects() -> dict[str, Any]:
    """List the subjects a ticket may have, by the priority their tickets get."""
    return current_services().support.subjects.to_public()


@bp.post("/tickets")
@bp.arguments(TicketCreateSchema)
@bp.response(201, TicketSchema, description="The ticket was opened in WispHub Net.")
@bp.alt_response(
    200,
    schema=TicketSchema,
    description="The client already has an open ticket of this subject: that one, nothing new.",
)
@documents_errors(bp, 400, 404, 409, 413, 415, 422)
@no_query_parameters
@idempotent("tickets")
def open_ticket(fields: dict[str, Any]) -> Response:
    """Open a support ticket for a client.

    Refused with 409 ``known_outage`` when the client's zone has at least
    MAX_OPEN_TICKETS_PER_ZONE open tickets or its router is marked with a general failure. An
    open ticket of the same client and subject is answered (200) instead of a new one; with
    ``Idempotency-Key``, a retry gets the first answer and opens nothing. The ticket is sent
    to WispHub once: a 504 means it may exist, and reading the client's tickets tells.
    """
    ticket, created = current_services().support.desk.open(fields)
    response = jsonify(ticket.to_public())
    response.status_code = 201 if created else 200
    response.headers["Location"] = url_for(".get_ticket", ticket_id=ticket.ticket_id)
    return response


@bp.get("/tickets/<ticket_id:ticket_id>")
@bp.response(200, TicketSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_ticket(ticket_id: int) -> Response:
    """Show one ticket: its status, priority, expected end, technician and last answer."""
    ticket, state = current_services().support.tickets.get(ticket_id)
    return json_answer(ticket.to_public(), state)


@bp.get("/clients/<service_id:service_id>/tickets")
@bp.arguments(ClientTicketsQuerySchema, location="query", as_kwargs=True, unknown=RAISE)
@bp.response(200, TicketSchema(many=True))
@documents_errors(bp, 404, 422)
def list_client_tickets(service_id: int, status: str) -> Response:
    """List a client's tickets, newest first (open ones by default)."""
    tickets, state = current_services().support.tickets.of_client(service_id, status)
    return json_answer([ticket.to_public() for ticket in tickets], state)


@bp.get("/zones/<zone_id:zone_id>/outage")
@bp.response(200, OutageSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def zone_outage(zone_id: int) -> Response:
    """Say whether a zone has a known outage: many open tickets, or a router in failure."""
    outage, state = current_services().support.outages.zone(zone_id)
    return json_answer(outage.to_public(), state)


def document_settings(app: Flask, api: Api) -> None:
    """Say the configured subjects in OpenAPI, as the enum of a new ticket's ``subject``."""
    subjects = services_of(app).support.subjects.all
    schema = api.spec.components.schemas["TicketCreate"]
    schema["properties"]["subject"]["enum"] = list(subjects)
