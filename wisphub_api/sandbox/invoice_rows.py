"""The `/api/facturas/` row: numeric money, ISO dates, the client and one article per period."""

from __future__ import annotations

from typing import Any

from wisphub_api.sandbox.catalog import money
from wisphub_api.sandbox.clock import iso, period_day
from wisphub_api.sandbox.dataset import ClientRecord
from wisphub_api.sandbox.ledger import Invoice

CLIENT_FIELDS = (
    "usuario",
    "nombre",
    "email",
    "cedula",
    "direccion",
    "localidad",
    "telefono",
    "rfc",
)
INVOICE_TYPE = "Factura"


def period(invoice: Invoice) -> str:
    """Return the article's period line: "Periodo del 1/Abr./2026 al 30/Abr./2026"."""
    return f"Periodo del {period_day(invoice.issued)} al {period_day(invoice.period_end)}"


def _article(invoice: Invoice, plan_name: str) -> dict[str, Any]:
    return {
        "id": invoice.id * 10 + 1,
        "cantidad": 1,
        "precio": money(float(invoice.sub_total)),
        "descripcion": f"Servicio de Internet {plan_name}\n{period(invoice)}",
        "servicio": {"id_servicio": invoice.service_id},
    }


def invoice_row(invoice: Invoice, record: ClientRecord) -> dict[str, Any]:
    """Build one invoice row from the invoice and its client's current row."""
    row = record.row
    return {
        "id_factura": invoice.id,
        "folio": None,
        "fecha_emision": invoice.issued.isoformat(),
        "fecha_vencimiento": invoice.due.isoformat(),
        "fecha_pago": iso(invoice.paid_at),
        "estado": invoice.status,
        "tipo": INVOICE_TYPE,
        "zona": dict(row["zona"]),
        "sub_total": float(invoice.sub_total),
        "descuento": float(invoice.discount),
        "saldo": float(invoice.balance),
        "total": float(invoice.total),
        "total_cobrado": float(invoice.collected),
        "pasarela": "",
        "referencia_pasarela": "",
        "cajero": dict(invoice.cashier) if invoice.cashier else None,
        "cliente": {key: row[key] for key in CLIENT_FIELDS},
        "articulos": [_article(invoice, row["plan_internet"]["nombre"])],
    }


def pdf_lines(invoice: Invoice, record: ClientRecord) -> list[str]:
    """Return the text lines of the invoice's PDF."""
    row = record.row
    return [
        "ISP Demo - WispHub Net sandbox",
        f"Factura No. {invoice.id}",
        f"Cliente: {row['nombre']}",
        f"Servicio: {invoice.service_id} - {row['plan_internet']['nombre']}",
        period(invoice),
        f"Emitida: {invoice.issued.isoformat()}  Vence: {invoice.due.isoformat()}",
        f"Total: {money(float(invoice.total))}  Saldo: {money(float(invoice.balance))}",
        f"Estado: {invoice.status}",
    ]
