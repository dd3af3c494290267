"""Billing writes over HTTP: payment promise, payment report with receipt, registered payment."""

from __future__ import annotations

from flask import Blueprint, Response, request

from wisphub_api.sandbox.billing_writes import (
    BillingError,
    make_promise,
    register_payment,
    report_payment,
)
from wisphub_api.sandbox.clock import tenant_now
from wisphub_api.sandbox.web import (
    NOT_FOUND_BODY,
    bad_request,
    count_rows,
    json_response,
    request_fields,
    server_error,
    state,
)

bp = Blueprint("sandbox_payments", __name__)

NOT_A_BODY = "El cuerpo debe ser un objeto JSON o un formulario."
REPORTED = "El pago fue reportado y queda en revisión."
REGISTERED = "Se agrego correctamente el pago"  # sic: upstream's message has no accent
RECEIPT_FIELD = "comprobante_pago_archivo"


def _refused(error: BillingError) -> Response:
    if error.status == 404:
        return json_response(NOT_FOUND_BODY, 404)
    return json_response({"error": str(error)}, error.status)


@bp.post("/api/promesa-pago/")
def create_promise() -> Response:
    """Promise to pay an invoice by fecha_limite; 201; accion 1 reactivates a suspension."""
    sandbox = state()
    body = request_fields()
    if body is None:
        return bad_request(NOT_A_BODY)
    try:
        promise = make_promise(sandbox.billing, body, tenant_now(sandbox.options.today))
    except BillingError as error:
        return _refused(error)
    count_rows(1)
    return json_response(promise, 201)


@bp.post("/api/facturas/reportar-pago/<int:invoice_id>/")
def create_payment_report(invoice_id: int) -> Response:
    """Report a payment with its receipt (multipart); 201 and the invoice goes En Revisión."""
    fields = request_fields()
    if fields is None:
        return bad_request(NOT_A_BODY)
    upload = request.files.get(RECEIPT_FIELD)
    try:
        report = report_payment(state().billing, invoice_id, fields, upload)
    except BillingError as error:
        return _refused(error)
    count_rows(1)
    return json_response({"messages": [REPORTED], **report}, 201)


@bp.post("/api/facturas/<int:invoice_id>/registrar-pago/", provide_automatic_options=False)
def create_payment(invoice_id: int) -> Response:
    """Register a payment; 200 {messages, task_id}; 422 when the invoice is already paid."""
    sandbox = state()
    body = request_fields()
    if body is None:
        return bad_request(NOT_A_BODY)
    try:
        register_payment(sandbox.billing, invoice_id, body)
    except BillingError as error:
        return _refused(error)
    task_id = sandbox.tasks.add("SUCCESS", "Pago registrado", sandbox.knobs.task_seconds)
    count_rows(1)
    return json_response({"messages": [REGISTERED], "task_id": task_id})


@bp.route("/api/facturas/<int:invoice_id>/registrar-pago/", methods=["OPTIONS"])
def describe_payment(invoice_id: int) -> Response:
    """Crash as upstream does on OPTIONS here (an HTML 500)."""
    return server_error()
