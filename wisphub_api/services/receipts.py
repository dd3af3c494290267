"""Payment reports: "I paid, here is the receipt", sent to WispHub for its staff to review.

A report never registers a payment (only a person who saw the money does that in WispHub): the
invoice waits "in review". The receipt is judged by its content (JPEG, PNG or PDF magic bytes),
never by its name or declared type, and refused — over ``RECEIPT_MAX_BYTES`` (413) or of another
kind (415) — before anything is sent. It is streamed to WispHub from the upload's file, sent
under a name of our own (the caller's file name can hold personal data), and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from wisphub_api.services.calendar import TenantCalendar
from wisphub_api.services.errors import (
    InvoiceNotFound,
    PaymentReportRefused,
    ReceiptTooLarge,
    ReceiptTypeUnsupported,
)
from wisphub_api.services.invoices import InvoiceBook
from wisphub_api.services.payments import PaymentMethods
from wisphub_api.upstream.billing import MOMENT_FORMAT
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.errors import UpstreamNotFound
from wisphub_api.upstream.invoices import UpstreamRefused
from wisphub_api.upstream.multipart import file_size

# Magic bytes -> (media type, file extension).
_KINDS = (
    (b"\xff\xd8\xff", ("image/jpeg", "jpg")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"%PDF-", ("application/pdf", "pdf")),
)
_MAGIC_LENGTH = max(len(magic) for magic, _ in _KINDS)


@dataclass(frozen=True, slots=True)
class Receipt:
    """An uploaded receipt, checked: its file (at the start), type and size."""

    stream: BinaryIO
    media_type: str
    extension: str
    size: int


def check_receipt(stream: BinaryIO, max_bytes: int) -> Receipt:
    """Return the receipt in ``stream`` once its size and content are acceptable."""
    stream.seek(0)
    size = file_size(stream)
    if size > max_bytes:
        raise ReceiptTooLarge(max_bytes)
    head = stream.read(_MAGIC_LENGTH)
    stream.seek(0)
    for magic, (media_type, extension) in _KINDS:
        if head.startswith(magic):
            return Receipt(stream, media_type, extension, size)
    raise ReceiptTypeUnsupported()


@dataclass(frozen=True, slots=True)
class PaymentReport:
    """What a bot reports about one payment."""

    invoice_id: int
    payment_method_id: int
    paid_at: datetime  # in the tenant's time zone
    reference: str | None


class ReportDesk:
    """Send payment reports with their receipts."""

    def __init__(
        self,
        upstream: WispHubClient,
        book: InvoiceBook,
        methods: PaymentMethods,
        calendar: TenantCalendar,
        *,
        max_bytes: int,
    ) -> None:
        self.upstream = upstream
        self.book = book
        self.methods = methods
        self.calendar = calendar
        self.max_bytes = max_bytes

    def report(self, report: PaymentReport, stream: BinaryIO) -> None:
        """Check the receipt and the payment method, then send the report once."""
        receipt = check_receipt(stream, self.max_bytes)
        self.methods.require(report.payment_method_id)
        self.book.ensure_writable()  # every worker must learn of the report
        fields = {
            "forma_pago": str(report.payment_method_id),
            "fecha_pago": report.paid_at.astimezone(self.calendar.zone).strftime(MOMENT_FORMAT),
            "referencia": report.reference or "",
        }
        try:
            self.upstream.report_payment(
                report.invoice_id,
                fields,
                receipt.stream,
                filename=f"receipt-{report.invoice_id}.{receipt.extension}",
                content_type=receipt.media_type,
            )
        except UpstreamRefused:
            raise PaymentReportRefused() from None
        except UpstreamNotFound:
            raise InvoiceNotFound() from None
        self.book.record_report(report.invoice_id)
