"""Billing reads: what a client owes, its invoices, and an invoice's PDF."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import RAISE

from wisphub_api.blueprints.common import (
    documents_errors,
    json_answer,
    no_query_parameters,
    with_cache_headers,
)
from wisphub_api.blueprints.parsing import Blueprint
from wisphub_api.extensions import current_services
from wisphub_api.schemas.billing import BalanceSchema, InvoiceQuerySchema, InvoiceSchema
from wisphub_api.services.invoices import invoice_json
from wisphub_api.services.snapshots import CacheState

bp = Blueprint("billing", __name__, description="What a subscriber owes, and its invoices.")

# An invoice PDF holds personal data: the bot may keep it, no shared cache may.
PDF_CACHE_CONTROL = "private, no-store"


@bp.get("/clients/<service_id:service_id>/balance")
@bp.response(200, BalanceSchema)
@documents_errors(bp, 404, 422)
@no_query_parameters
def get_balance(service_id: int) -> Response:
    """Show what a client owes, its unpaid invoices, and the state of its service.

    ``outstanding_balance`` is WispHub Net's own saldo, to the cent (negative: a credit);
    ``pending_invoices`` are every invoice still owed (pending, or in review after a payment
    report), newest first, whatever their age. Cached per client for INVOICES_CACHE_TTL seconds.
    """
    body, state = current_services().billing.invoices.statement(service_id)
    return json_answer(body, state)


@bp.get("/clients/<service_id:service_id>/invoices")
@bp.arguments(InvoiceQuerySchema, location="query", unknown=RAISE)
@bp.response(200, InvoiceSchema(many=True))
@documents_errors(bp, 404, 409, 422)
def list_invoices(args: dict[str, Any], service_id: int) -> Response:
    """List a client's invoices issued in the last months, newest first.

    ``status=pending`` (the default) is what is still owed, in review included; ``paid``;
    ``all`` adds the cancelled ones. 409 ``invoices_unavailable`` for a client WispHub Net keeps
    no username for (it lists invoices by username only); its balance still answers.
    """
    book = current_services().billing.invoices
    invoices, state = book.invoices(service_id, args["status"], args["months"])
    return json_answer([invoice_json(invoice) for invoice in invoices], state)


@bp.get("/invoices/<invoice_id:invoice_id>/pdf")
@bp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="application/pdf",
    description="The invoice as WispHub Net prints it.",
)
@documents_errors(bp, 403, 404, 422)
@no_query_parameters
def get_invoice_pdf(invoice_id: int) -> Response:
    """Stream an invoice's PDF from WispHub Net, as it arrives (never stored, never logged).

    403 ``upstream_forbidden`` when WispHub Net refuses the PDF to this service's key (a key
    without the invoice PDF permission). Any key of this API reaches any invoice by its id.
    """
    document = current_services().billing.invoices.pdf(invoice_id)
    response = Response(document.chunks, mimetype="application/pdf", direct_passthrough=True)
    response.call_on_close(document.close)  # also when the bot hangs up halfway
    if document.length is not None:
        response.content_length = document.length
    response.headers["Content-Disposition"] = f'inline; filename="invoice-{invoice_id}.pdf"'
    response.headers["Cache-Control"] = PDF_CACHE_CONTROL
    return with_cache_headers(response, CacheState("MISS", 0.0))
