"""Billing writes: a payment promise, a payment report with its receipt, a registered payment.

Each checks its body and the invoice, then changes the invoice and the client's row under the
billing lock, so a later read (the client list included) shows the change at once.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from wisphub_api.sandbox.billing import Billing
from wisphub_api.sandbox.catalog import money
from wisphub_api.sandbox.clock import TENANT_TZ, iso
from wisphub_api.sandbox.directory import ADMIN_ID, PAYMENT_METHOD_IDS
from wisphub_api.sandbox.ledger import CANCELLED, IN_REVIEW, PAID, Invoice, derived_state

PAYMENT_MOMENTS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y")
MAX_TEXT = 255
CHUNK = 64 * 1024
ACTIONS = frozenset({0, 1})  # accion 1 also lifts a suspension


class BillingError(Exception):
    """A write WispHub refuses: the status and the {"error"} sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _integer(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is not int:
        raise BillingError(400, f"{key}: se requiere un número entero válido.")
    return value


def _choice(body: dict[str, Any], key: str, choices: frozenset[int]) -> int:
    value = _integer(body, key)
    if value not in choices:
        raise BillingError(400, f"{key}: escoja una opción válida.")
    return value


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise BillingError(400, f"{key}: se requiere un texto de hasta {MAX_TEXT} caracteres.")
    return value.strip()


def _moment(body: dict[str, Any], key: str) -> datetime:
    text = str(body.get(key) or "").strip()
    for pattern in PAYMENT_MOMENTS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=TENANT_TZ)
        except ValueError:
            continue
    raise BillingError(400, f"{key}: use el formato AAAA-MM-DD HH:MM.")


def _amount(body: dict[str, Any], key: str) -> Decimal:
    value = body.get(key)
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidOperation
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise BillingError(400, f"{key}: se requiere un número válido.") from None
    if not amount.is_finite() or amount <= 0:
        raise BillingError(400, f"{key}: debe ser mayor que cero.")
    return amount.quantize(Decimal("0.01"))


def _open_invoice(billing: Billing, invoice_id: int, missing_status: int) -> Invoice:
    invoice = billing.invoice(invoice_id)
    if invoice is None:
        raise BillingError(missing_status, "La factura no existe.")
    if invoice.status == PAID:
        raise BillingError(400, "La factura ya está pagada.")
    if invoice.status == CANCELLED:
        raise BillingError(400, "La factura está cancelada.")
    return invoice


def make_promise(billing: Billing, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Record a payment promise; `accion: 1` turns a suspended service Activo at once."""
    invoice_id = _integer(body, "id_factura")
    accion = _choice(body, "accion", ACTIONS)
    try:
        until = date.fromisoformat(str(body.get("fecha_limite", "")).strip())
    except ValueError:
        raise BillingError(400, "fecha_limite: use el formato AAAA-MM-DD.") from None
    if until < billing.today:
        raise BillingError(400, "fecha_limite no puede ser anterior a hoy.")
    with billing.lock:
        invoice = _open_invoice(billing, invoice_id, 400)
        if billing.active_promise(invoice_id) is not None:
            raise BillingError(400, "La factura ya tiene una promesa de pago vigente.")
        promise = {
            "id": len(billing.promises) + 1,
            "id_factura": invoice_id,
            "fecha_limite": until.isoformat(),
            "accion": accion,
        }
        reactivated = accion == 1 and billing.dataset.reactivate(invoice.service_id)
        billing.promises.append(
            {
                **promise,
                "servicio": invoice.service_id,
                "reactivado": reactivated,
                "vigente": True,
                "fecha_creacion": iso(now),
            }
        )
    return promise


def _receipt(upload: Any) -> dict[str, Any]:
    if upload is None or not getattr(upload, "filename", ""):
        raise BillingError(400, "comprobante_pago_archivo: no se envió ningún archivo.")
    stream: IO[bytes] = upload.stream
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    if size == 0:
        raise BillingError(400, "comprobante_pago_archivo: el archivo enviado está vacío.")
    return {
        "nombre": upload.filename,
        "tipo": upload.mimetype,
        "bytes": size,
        "sha256": digest.hexdigest(),
    }


def report_payment(
    billing: Billing, invoice_id: int, fields: dict[str, Any], upload: Any
) -> dict[str, Any]:
    """Record a payment report with its receipt; the invoice waits "En Revisión"."""
    if billing.invoice(invoice_id) is None:
        raise BillingError(404, "No encontrado.")
    report: dict[str, Any] = {
        "id_factura": invoice_id,
        "forma_pago": _choice(fields, "forma_pago", PAYMENT_METHOD_IDS),
        "fecha_pago": iso(_moment(fields, "fecha_pago")),
        **{key: _text(fields, key) for key in ("referencia", "comprobante_pago", "nombre_user")},
    }
    report["archivo"] = _receipt(upload)  # read last: never stored, only measured and hashed
    with billing.lock:
        invoice = _open_invoice(billing, invoice_id, 404)
        if invoice.status == IN_REVIEW:
            raise BillingError(400, "La factura ya tiene un pago en revisión.")
        invoice.status = IN_REVIEW
        billing.changed()
        report["id"] = len(billing.reports) + 1
        billing.reports.append(report)
    return {"id": report["id"], "id_factura": invoice_id, "estado": IN_REVIEW}


def register_payment(billing: Billing, invoice_id: int, body: dict[str, Any]) -> None:
    """Register a payment: the invoice's balance falls, the client's saldo with it."""
    invoice = billing.invoice(invoice_id)
    if invoice is None:
        raise BillingError(404, "No encontrado.")
    if invoice.status == PAID:
        raise BillingError(422, "La factura ya se encuentra pagada.")
    method = _choice(body, "forma_pago", PAYMENT_METHOD_IDS)
    accion, paid_at = _choice(body, "accion", ACTIONS), _moment(body, "fecha_pago")
    amount = _amount(body, "total_cobrado")
    with billing.lock:
        invoice = _open_invoice(billing, invoice_id, 404)
        billing.changed()
        invoice.collected += amount
        invoice.balance = max(Decimal(0), invoice.balance - amount)
        if invoice.balance == 0:
            invoice.status, invoice.paid_at = PAID, paid_at
            invoice.cashier = {"id": ADMIN_ID, "nombre": "Administrador Sandbox"}
        for promise in billing.promises:
            if promise["id_factura"] == invoice_id and invoice.status == PAID:
                promise["vigente"] = False  # a payment ends the promise
        dataset, sid = billing.dataset, invoice.service_id
        if accion == 1:
            dataset.reactivate(sid)
        saldo = Decimal(dataset.by_id[sid].row["saldo"]) - amount
        state = derived_state(billing.ledger(sid), billing.today)
        dataset.set_billing_state(sid, money(float(saldo)), state)
        payment: dict[str, Any] = {"id_factura": invoice_id, "forma_pago": method, "accion": accion}
        payment.update({"fecha_pago": iso(paid_at), "total_cobrado": float(amount)})
        billing.payments.append(payment)
