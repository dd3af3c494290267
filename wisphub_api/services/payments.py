"""How to pay (the ISP's payment methods) and a payment promise that reconnects a service.

A promise names an invoice of the client (by default its oldest pending one) and a date from the
tenant's today to ``PAYMENT_PROMISE_MAX_DAYS`` days ahead. It is checked against what WispHub
says the client owes right now, sent once (never retried), and when WispHub accepts it a
suspended service is shown ``Activo`` by every read of every worker: WispHub reconnects it at
once (``accion: 1``), so the change is recorded without reading the client back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from wisphub_api.services.brief import BriefCache
from wisphub_api.services.calendar import TenantCalendar
from wisphub_api.services.errors import (
    ClientInvoiceNotFound,
    FeatureDisabled,
    InvoiceAlreadyPaid,
    InvoiceNotPayable,
    NothingOwed,
    PromiseRefused,
    UnknownPaymentMethod,
)
from wisphub_api.services.invoices import MAX_MONTHS, InvoiceBook
from wisphub_api.services.snapshots import CacheState
from wisphub_api.translatable import N_
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.invoices import Invoice, PaymentMethod, UpstreamRefused
from wisphub_api.upstream.models import Client

PROMISES = N_("Payment promises")  # the feature's name in FeatureDisabled's sentence


class PaymentMethods:
    """The ISP's payment methods, cached like the plans (they change a few times a year)."""

    def __init__(self, upstream: WispHubClient, cache: BriefCache[tuple[PaymentMethod, ...]]):
        self.upstream = upstream
        self.cache = cache

    def all(self) -> tuple[tuple[PaymentMethod, ...], CacheState]:
        """Return every payment method, by id."""

        def load() -> tuple[PaymentMethod, ...]:
            methods = self.upstream.list_payment_methods()
            return tuple(sorted(methods, key=lambda m: m.payment_method_id))

        return self.cache.get("all", load)

    def require(self, payment_method_id: int) -> PaymentMethod:
        """Return the payment method with this id; ``UnknownPaymentMethod`` when none has it."""
        methods, _ = self.all()
        for method in methods:
            if method.payment_method_id == payment_method_id:
                return method
        raise UnknownPaymentMethod()


@dataclass(frozen=True, slots=True)
class Promise:
    """A payment promise WispHub accepted."""

    invoice_id: int
    until: date
    service_reactivated: bool


class PromiseDesk:
    """Check and send payment promises."""

    def __init__(
        self,
        upstream: WispHubClient,
        book: InvoiceBook,
        calendar: TenantCalendar,
        *,
        enabled: bool,
        max_days: int,
    ) -> None:
        self.upstream = upstream
        self.book = book
        self.calendar = calendar
        self.enabled = enabled
        self.max_days = max_days

    def ensure_enabled(self) -> None:
        """Refuse every promise when the ISP turned them off."""
        if not self.enabled:
            raise FeatureDisabled(PROMISES)

    def window(self) -> tuple[date, date]:
        """Return the first and last day a promise may name (the tenant's days)."""
        today = self.calendar.today()
        return today, today + timedelta(days=self.max_days)

    def _invoice(self, client: Client, invoice_id: int | None) -> Invoice:
        """Return the invoice to promise: the one named, or the client's oldest pending one."""
        _, unpaid, _ = self.book.balance(client, fresh=True)
        if invoice_id is None:
            pending = [i for i in unpaid if i.status == "pending"]
            if not pending:
                raise NothingOwed()
            return pending[-1]  # unpaid invoices come newest first
        for invoice in unpaid:
            if invoice.invoice_id == invoice_id:
                return invoice
        # Not owed: paid, cancelled, or not this client's. The listing tells which.
        if client.username:
            listing, _ = self.book.listing(client, MAX_MONTHS)
            for invoice in listing.invoices:
                if invoice.invoice_id != invoice_id:
                    continue
                if invoice.status == "paid":
                    raise InvoiceAlreadyPaid()
                if invoice.status == "cancelled":
                    raise InvoiceNotPayable()
                return invoice  # the two reads disagree: WispHub decides
        raise ClientInvoiceNotFound()

    def promise(self, service_id: int, until: date, invoice_id: int | None) -> Promise:
        """Promise a client's payment by ``until`` (the caller checked it is in ``window``)."""
        self.ensure_enabled()
        client, _ = self.book.client(service_id)
        invoice = self._invoice(client, invoice_id)
        self.book.ensure_writable()  # refuse now rather than write what others cannot see
        try:
            self.upstream.create_promise(invoice.invoice_id, until)
        except UpstreamRefused:
            raise PromiseRefused() from None
        reactivated = client.service_status == "Suspendido"
        if reactivated:
            self.book.directory.record_write(client, {"service_status": "Activo"}, read_back=False)
        return Promise(invoice.invoice_id, until, reactivated)
