"""WispHub Net endpoints of billing conversations: invoices, balance, payment methods, promises."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

import requests

from .core import ClientCore, log, positive_id
from .errors import UpstreamAuthError, UpstreamBadResponse, error_for_exception
from .invoices import (
    Balance,
    Invoice,
    InvoicePdfForbidden,
    PaymentMethod,
    UpstreamRefused,
    balance_from_body,
    invoice_from_row,
    payment_method_from_row,
)
from .multipart import CHUNK, MultipartBody
from .paging import parse_page, read_all

# The first bytes of every PDF file.
PDF_MAGIC = b"%PDF-"
# The marker every PDF file ends with (followed at most by a line break).
PDF_END = b"%%EOF"
# How WispHub's promise and payment forms write a moment (the tenant's local time).
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
# The receipt's form field, and the other fields of a payment report (WISPHUB_UPSTREAM.md §15).
RECEIPT_FIELD = "comprobante_pago_archivo"
# The name WispHub's staff see as the reporter of a payment sent through this service.
REPORTER = "WispHub API"


@dataclass(frozen=True, slots=True)
class PdfDocument:
    """An invoice PDF being read from WispHub: iterate ``chunks`` once, then ``close``."""

    chunks: Iterator[bytes]
    length: int | None  # bytes, when WispHub said so (and sent the body unencoded)
    close: Callable[[], None]


def _rest(first: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Yield the PDF's chunks; a connection lost halfway ends it short (the length tells)."""
    yield first
    try:
        yield from chunks
    except requests.RequestException as exc:
        log.warning("GET /api/facturas/{id}/pdf/ broke off: %s", type(exc).__name__)


class BillingEndpoints(ClientCore):
    """One method per billing endpoint of WispHub Net (see WISPHUB_UPSTREAM.md §8, §15)."""

    def list_invoices(self, usuario: str, start: date, end: date) -> list[Invoice]:
        """Return every invoice WispHub lists for ``usuario`` issued from ``start`` to ``end``.

        One window of at most 92 days (WispHub answers 400 beyond); ``cliente`` is the client's
        usuario (a numeric id silently lists nothing), and the caller still matches each invoice
        to the service by its articles, as the filter is not reliable.
        """
        params = {
            "cliente": usuario,
            "fecha_emision__range_0": start.isoformat(),
            "fecha_emision__range_1": end.isoformat(),
        }
        return [invoice_from_row(row) for row in self._rows("/facturas/", params, "id_factura")]

    def get_balance(self, service_id: int) -> Balance:
        """Return what a client owes (``saldo``) and, when the tenant lists them, its invoices."""
        ids = {"id": positive_id(service_id)}
        return balance_from_body(self._get_json("/clientes/{id}/saldo", ids=ids))

    def list_payment_methods(self) -> list[PaymentMethod]:
        """Return every payment method of the ISP."""
        return [payment_method_from_row(row) for row in self._rows("/formas-de-pago/", {}, "id")]

    def invoice_pdf(self, invoice_id: int) -> PdfDocument:
        """Start reading an invoice's PDF; raise ``InvoicePdfForbidden`` when the key may not.

        The body is streamed: the first chunk is read here (so that a page that is no PDF is an
        error before anything is answered), the rest as the caller iterates.
        """
        ids = {"id": positive_id(invoice_id)}
        headers = {"Accept": "application/pdf, */*;q=0.5"}
        try:
            response = self._call(
                "GET", "/facturas/{id}/pdf/", ids=ids, headers=headers, stream=True
            )
        except UpstreamAuthError as exc:
            raise InvoicePdfForbidden(exc.message, status=exc.status) from None
        chunks = response.iter_content(CHUNK)
        try:
            first = next(chunks, b"")
        except requests.RequestException as exc:
            response.close()
            raise error_for_exception(exc, "GET /api/facturas/{id}/pdf/") from None
        encoded = response.headers.get("Content-Encoding", "identity") != "identity"
        length = response.headers.get("Content-Length", "")
        size = int(length) if length.isdigit() and not encoded else None
        # A PDF that came whole in the first chunk (most invoices) must end like one.
        whole = size is not None and len(first) >= size
        if not first.startswith(PDF_MAGIC) or (whole and PDF_END not in first[-1024:]):
            response.close()
            raise UpstreamBadResponse("WispHub Net sent an invoice PDF that is not a PDF")
        return PdfDocument(_rest(first, chunks), size, response.close)

    def create_promise(self, invoice_id: int, until: date) -> None:
        """Promise the payment of an invoice by ``until``; WispHub reconnects a suspended service.

        Sent once (writes are never retried); ``UpstreamRefused`` when WispHub answers 400 (a
        paid, cancelled or unknown invoice, a date it finds past, a promise already in force).
        """
        payload = {"id_factura": positive_id(invoice_id), "fecha_limite": until.isoformat()}
        payload["accion"] = 1  # reconnect a suspended service now: the reason to promise
        self._refusable(
            lambda: self._call("POST", "/promesa-pago/", payload=payload, ok=(200, 201))
        )

    def report_payment(
        self,
        invoice_id: int,
        fields: Mapping[str, str],
        receipt: BinaryIO,
        *,
        filename: str,
        content_type: str,
    ) -> None:
        """Report a payment with its receipt for staff review (it registers no payment).

        ``fields``: forma_pago, fecha_pago, referencia. The receipt is streamed from its file.
        """
        form = {**fields, "nombre_user": REPORTER}
        body = MultipartBody(
            form,
            file_field=RECEIPT_FIELD,
            filename=filename,
            content_type=content_type,
            stream=receipt,
        )
        ids = {"id": positive_id(invoice_id)}
        template = "/facturas/reportar-pago/{id}/"
        headers = {"Content-Type": body.content_type}

        def send() -> requests.Response:
            return self._call(
                "POST", template, ids=ids, headers=headers, data=body, ok=(200, 201), stream=True
            )

        self._refusable(send)

    # -- helpers ------------------------------------------------------------------------------
    def _rows(self, template: str, params: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
        """Read every page of a list with ``params`` (all or nothing)."""

        def fetch(offset: int) -> Any:
            query = {**params, "limit": self.page_size, "offset": offset}
            return parse_page(self._get_json(template, params=query))

        return read_all(
            fetch,
            page_size=self.page_size,
            max_parallel=self.max_parallel_pages,
            key=key,
            what=f"/api{template}",
        )

    @staticmethod
    def _refusable(send: Callable[[], requests.Response]) -> None:
        """Send a write; turn WispHub's 400 into ``UpstreamRefused``, close the answer."""
        try:
            send().close()
        except UpstreamBadResponse as exc:
            if exc.status != 400:
                raise
            raise UpstreamRefused(exc.message, status=400) from None
