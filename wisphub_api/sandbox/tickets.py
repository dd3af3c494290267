"""`/api/tickets/` endpoints: the list (numeric estado, hidden window), detail, create, OPTIONS."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from wisphub_api.sandbox.clock import tenant_now
from wisphub_api.sandbox.filters import without
from wisphub_api.sandbox.ticket_data import Ticket, options_metadata, ticket_row
from wisphub_api.sandbox.ticket_input import TicketInputError, parse_ticket
from wisphub_api.sandbox.web import (
    bad_request,
    count_rows,
    fault_mode,
    found,
    json_response,
    paginated,
    request_fields,
    state,
)
from wisphub_api.sandbox.windows import WindowError

bp = Blueprint("sandbox_tickets", __name__)

LIST = "/api/tickets/"
MISSING_FIELDS = ("id_ticket", "servicio")  # dropped from every tenth row by missing_fields


def _row(ticket: Ticket) -> dict[str, Any]:
    sandbox = state()
    record = sandbox.dataset.by_id.get(ticket.service_id)
    technician = sandbox.staff_by_id.get(ticket.tecnico_id)
    return ticket_row(ticket, record, technician, sandbox.tickets.counts(ticket))


def _shape(ticket: Ticket) -> dict[str, Any]:
    row = _row(ticket)
    if fault_mode() == "missing_fields" and ticket.id % 10 == 0:
        return without(row, MISSING_FIELDS)
    return row


@bp.get(LIST, provide_automatic_options=False)
def list_tickets() -> Response:
    """List tickets: numeric estado filter, creation window (30 days unless given, max 2 months)."""
    sandbox = state()
    try:
        tickets = sandbox.tickets.select(request.args, sandbox.options.today)
    except WindowError as exc:
        return bad_request(str(exc))
    return paginated(tickets, _shape)


@bp.post(LIST, provide_automatic_options=False)
def create_ticket() -> Response:
    """Open a ticket from a JSON or form body; 201 with the ticket row."""
    sandbox = state()
    body = request_fields()
    if body is None:
        return bad_request("El cuerpo debe ser un objeto JSON o un formulario.")
    now = tenant_now(sandbox.options.today)
    try:
        ticket = parse_ticket(body, sandbox.dataset, sandbox.staff_by_id, now)
    except TicketInputError as exc:
        return bad_request(str(exc), **exc.extra)
    sandbox.tickets.add(ticket)
    count_rows(1)
    return json_response(_row(ticket), 201)


@bp.route(LIST, methods=["OPTIONS"])
def describe_tickets() -> Response:
    """Answer DRF's OPTIONS metadata, which lists the asuntos_default choices."""
    return json_response(options_metadata())


@bp.get("/api/tickets/<int:ticket_id>/")
def show_ticket(ticket_id: int) -> Response:
    """Show one ticket."""
    ticket = state().tickets.by_id.get(ticket_id)
    return found(_row(ticket) if ticket is not None else None)
