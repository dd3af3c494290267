"""Query filters of `GET /api/facturas/`: estado code, zona, cliente (usuario), date windows.

Windows: `fecha_emision__range_0/_1`, `fecha_vencimiento__range_0/_1`, `fecha_pago__range_0/_1`
and `desde`/`hasta` on the date `tipo_fecha` names (emision by default). Each may span at most
92 days (400 beyond). A lone end date means the 92 days before it, a lone start date runs to
today. Without any window, only invoices issued in the sandbox's current month are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from wisphub_api.sandbox.clock import month_bounds
from wisphub_api.sandbox.ledger import ESTADO_CODES, Invoice
from wisphub_api.sandbox.windows import Window, WindowError, inside, last, read_window

MAX_SPAN_DAYS = 92  # 92 days is accepted upstream, 122 is not
KINDS = ("emision", "vencimiento", "pago")
TIPO_FECHA = {**{kind: kind for kind in KINDS}, **{f"fecha_{kind}": kind for kind in KINDS}}
NOTHING = ""  # a filter value that can match no invoice (a bad code: 0 rows, no error)


@dataclass(slots=True)
class InvoiceQuery:
    """The parsed filters of one invoice listing."""

    status: str | None = None
    zone: int | None = None
    zone_given: bool = False
    usuario: str | None = None
    windows: list[tuple[str, Window]] = field(default_factory=list)

    def matches(self, invoice: Invoice) -> bool:
        """Say whether the invoice passes the estado and date filters."""
        if self.status is not None and invoice.status != self.status:
            return False
        return all(_in_window(invoice, kind, window) for kind, window in self.windows)


def _in_window(invoice: Invoice, kind: str, window: Window) -> bool:
    if kind == "emision":
        return inside(invoice.issued, window)
    if kind == "vencimiento":
        return inside(invoice.due, window)
    return invoice.paid_at is not None and inside(invoice.paid_at.date(), window)


def _checked(window: Window) -> Window:
    if (window[1] - window[0]).days > MAX_SPAN_DAYS:
        raise WindowError(f"El rango de fechas no puede ser mayor a {MAX_SPAN_DAYS} días.")
    return window


def _windows(args: MultiDict[str, str], today: date) -> list[tuple[str, Window]]:
    windows = []
    for kind in KINDS:
        keys = (f"fecha_{kind}__range_0", f"fecha_{kind}__range_1")
        window = read_window(args, keys, today, MAX_SPAN_DAYS)
        if window is not None:
            windows.append((kind, _checked(window)))
    window = read_window(args, ("desde", "hasta"), today, MAX_SPAN_DAYS)
    if window is not None:
        tipo = TIPO_FECHA.get(last(args, "tipo_fecha") or "emision")
        if tipo is None:
            raise WindowError("tipo_fecha: use emision, vencimiento o pago.")
        windows.append((tipo, _checked(window)))
    return windows or [("emision", month_bounds(today))]


def invoice_query(args: MultiDict[str, str], today: date) -> InvoiceQuery:
    """Parse the listing's query (WindowError for what upstream answers with 400)."""
    query = InvoiceQuery(windows=_windows(args, today))
    estado = last(args, "estado")
    if estado is not None:
        query.status = ESTADO_CODES.get(estado.strip(), NOTHING)
    zona = last(args, "zona")
    if zona is not None:
        query.zone_given = True
        query.zone = int(zona) if zona.strip().isdigit() else None
    query.usuario = last(args, "cliente")
    return query
