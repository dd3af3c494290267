"""`/api/facturas/` reads: the listing (filters, windows, the default month) and the PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from wisphub_api.sandbox.filters import without
from wisphub_api.sandbox.invoice_query import invoice_query
from wisphub_api.sandbox.invoice_rows import pdf_lines
from wisphub_api.sandbox.ledger import Invoice
from wisphub_api.sandbox.listing import PAGING_KEYS as PAGING
from wisphub_api.sandbox.pdf import render_pdf
from wisphub_api.sandbox.web import (
    NOT_FOUND_BODY,
    bad_request,
    count_rows,
    fault_mode,
    json_response,
    paginated,
    state,
)
from wisphub_api.sandbox.windows import WindowError

bp = Blueprint("sandbox_invoices", __name__)

MISSING_FIELDS = ("id_factura", "cliente")  # dropped from every tenth row by missing_fields


def _shape(invoice: Invoice) -> dict[str, Any]:
    row = state().billing.row(invoice)
    if fault_mode() == "missing_fields" and invoice.id % 10 == 0:
        return without(row, MISSING_FIELDS)
    return row


@bp.get("/api/facturas/")
def list_invoices() -> Response:
    """List invoices: estado, zona, cliente and date windows (current month unless given)."""
    sandbox = state()
    try:
        query = invoice_query(request.args, sandbox.options.today)
    except WindowError as exc:
        return bad_request(str(exc))
    key = tuple(sorted(pair for pair in request.args.items(multi=True) if pair[0] not in PAGING))
    return paginated(sandbox.billing.select(query, key), _shape)


@bp.get("/api/facturas/<int:invoice_id>/pdf/")
def invoice_pdf(invoice_id: int) -> Response:
    """Send the invoice as a one-page PDF (keys without the PDF permission get 403)."""
    billing = state().billing
    invoice = billing.invoice(invoice_id)
    if invoice is None:
        return json_response(NOT_FOUND_BODY, 404)
    body = render_pdf(pdf_lines(invoice, billing.dataset.by_id[invoice.service_id]))
    count_rows(1)
    disposition = f'inline; filename="factura-{invoice_id}.pdf"'
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": disposition})
