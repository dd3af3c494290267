"""Invoices, balances and payment methods of WispHub Net, as English values with Decimal money.

WispHub writes invoice money as JSON numbers (``40000.0``), a client's ``saldo`` as a number in
``/saldo`` and as a decimal string elsewhere; every amount becomes a ``Decimal`` of two places,
so totals add up to the cent. Rows are read through an allow-list: an invoice row carries the
client's document, phone and address, which are never kept.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import UpstreamAuthError, UpstreamBadResponse

CENT = Decimal("0.01")
# WispHub's estado texts (accents and case folded) → the contract's invoice status.
# "Transferida": the debt was moved onto another invoice, so this one is no longer payable.
_STATUSES = {
    "pendiente de pago": "pending",
    "pendiente": "pending",
    "pagada": "paid",
    "cancelada": "cancelled",
    "en revision": "in_review",
    "transferida": "cancelled",
}
INVOICE_STATUSES = ("pending", "paid", "cancelled", "in_review")
UNPAID_STATUSES = frozenset({"pending", "in_review"})  # what a client still owes
# Spanish month abbreviations of invoice periods ("1/Abr./2026"); "Sept" is seen too.
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("ene",),
            ("feb",),
            ("mar",),
            ("abr",),
            ("may",),
            ("jun",),
            ("jul",),
            ("ago",),
            ("sep", "sept", "set"),
            ("oct",),
            ("nov",),
            ("dic",),
        ),
        start=1,
    )
    for name in names
}
_PERIOD = re.compile(
    r"periodo del\s+(\d{1,2})/([a-z]+)\.?/(\d{4})\s+al\s+(\d{1,2})/([a-z]+)\.?/(\d{4})"
)


class InvoicePdfForbidden(UpstreamAuthError):
    """WispHub refused an invoice PDF to our key (it lacks that permission, or is refused)."""

    code = "upstream_forbidden"
    default_message = "WispHub Net refused the invoice PDF to this key"


class UpstreamRefused(UpstreamBadResponse):
    """WispHub refused a write with a 400 (it explains why in Spanish; we never pass it on)."""

    code = "upstream_refused"
    default_message = "WispHub Net refused the request"


@dataclass(frozen=True, slots=True)
class Invoice:
    """One invoice: its amounts in Decimal, its status in the contract's words."""

    invoice_id: int
    service_ids: tuple[int, ...]  # the services its articles bill (the reliable client match)
    issued_on: date | None
    due_on: date | None
    total: Decimal
    balance: Decimal  # what is left to pay
    status: str  # pending | paid | cancelled | in_review
    period: tuple[date, date] | None  # the billed period, from the article's "Periodo del …"

    def bills(self, service_id: int) -> bool:
        """Tell whether this invoice bills the service ``service_id``."""
        return service_id in self.service_ids


@dataclass(frozen=True, slots=True)
class Balance:
    """What ``/api/clientes/{id}/saldo`` says: the amount owed, and the unpaid invoices if given."""

    amount: Decimal  # positive: owed; negative: a credit
    unpaid: tuple[Invoice, ...] | None  # None when the tenant's /saldo lists no invoices


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    """One way to pay the ISP (WispHub's forma de pago)."""

    payment_method_id: int
    name: str


def decimal_money(value: Any, what: str) -> Decimal:
    """Return an amount (a JSON number or a decimal string) as a two-place Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UpstreamBadResponse(f"WispHub Net sent {what} that is not an amount")
    if isinstance(value, float) and not math.isfinite(value):
        raise UpstreamBadResponse(f"WispHub Net sent {what} that is not a finite amount")
    try:
        # str() of a float is its shortest round-trip form: 12345.67 stays 12345.67, to the cent.
        amount = Decimal(str(value).strip())
        if amount.is_finite():
            return amount.quantize(CENT)
    except InvalidOperation:
        pass
    raise UpstreamBadResponse(f"WispHub Net sent {what} that is not an amount")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split()).lower()


def invoice_status(estado: Any) -> str:
    """Return the contract's status for WispHub's estado text; refuse an unknown one."""
    status = _STATUSES.get(_fold(estado)) if isinstance(estado, str) else None
    if status is None:
        raise UpstreamBadResponse("WispHub Net sent an invoice with an unknown estado")
    return status


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_period(description: Any) -> tuple[date, date] | None:
    """Return the billed period of an article's description, or None when it names none."""
    if not isinstance(description, str):
        return None
    found = _PERIOD.search(_fold(description))
    if found is None:
        return None
    day1, month1, year1, day2, month2, year2 = found.groups()
    try:
        start = date(int(year1), _MONTHS[month1], int(day1))
        end = date(int(year2), _MONTHS[month2], int(day2))
    except (KeyError, ValueError):
        return None
    return (start, end) if start <= end else None


def _articles(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    articles = row.get("articulos")
    if not isinstance(articles, list):
        return []
    return [article for article in articles if isinstance(article, Mapping)]


def _service_id(article: Mapping[str, Any]) -> int | None:
    service = article.get("servicio")
    value = service.get("id_servicio") if isinstance(service, Mapping) else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def invoice_from_row(row: Any) -> Invoice:
    """Build an Invoice from a row of ``/api/facturas/`` (or ``/saldo``'s facturas)."""
    if not isinstance(row, Mapping):
        raise UpstreamBadResponse("WispHub Net sent an invoice row that is not an object")
    invoice_id = row.get("id_factura")
    if isinstance(invoice_id, bool) or not isinstance(invoice_id, int) or invoice_id < 1:
        raise UpstreamBadResponse("WispHub Net sent an invoice row without a valid id_factura")
    articles = _articles(row)
    service_ids = tuple(sid for sid in map(_service_id, articles) if sid is not None)
    periods = (parse_period(article.get("descripcion")) for article in articles)
    return Invoice(
        invoice_id=invoice_id,
        service_ids=service_ids,
        issued_on=_day(row.get("fecha_emision")),
        due_on=_day(row.get("fecha_vencimiento")),
        total=decimal_money(row.get("total"), "an invoice total"),
        balance=decimal_money(row.get("saldo"), "an invoice saldo"),
        status=invoice_status(row.get("estado")),
        period=next((p for p in periods if p is not None), None),
    )


def balance_from_body(body: Any) -> Balance:
    """Build a Balance from the body of ``/api/clientes/{id}/saldo``."""
    if not isinstance(body, Mapping) or "saldo" not in body:
        raise UpstreamBadResponse("WispHub Net sent a balance without saldo")
    rows = body.get("facturas")
    if rows is not None and not isinstance(rows, list):
        raise UpstreamBadResponse("WispHub Net sent a balance whose facturas is not a list")
    unpaid = None if rows is None else tuple(invoice_from_row(row) for row in rows)
    return Balance(amount=decimal_money(body["saldo"], "a saldo"), unpaid=unpaid)


def payment_method_from_row(row: Any) -> PaymentMethod:
    """Build a PaymentMethod from a row of ``/api/formas-de-pago/``."""
    method_id = row.get("id") if isinstance(row, Mapping) else None
    if isinstance(method_id, bool) or not isinstance(method_id, int) or method_id < 1:
        raise UpstreamBadResponse("WispHub Net sent a payment method without a valid id")
    name = row.get("nombre")
    return PaymentMethod(method_id, name.strip() if isinstance(name, str) else "")
