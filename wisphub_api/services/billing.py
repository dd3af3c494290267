"""The services of billing conversations (balance, invoices, payments), wired from settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wisphub_api.services.brief import BriefCache
from wisphub_api.services.calendar import TenantCalendar, time_zone
from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.invoices import InvoiceBook
from wisphub_api.services.payments import PaymentMethods, PromiseDesk
from wisphub_api.services.receipts import ReportDesk
from wisphub_api.services.writelog import WriteLog
from wisphub_api.state.guard import Guarded
from wisphub_api.upstream.client import WispHubClient

WRITE_LOG = "invoices"  # the write log of the payment reports sent from here


@dataclass(frozen=True)
class BillingServices:
    """Everything the billing routes need."""

    calendar: TenantCalendar
    invoices: InvoiceBook
    methods: PaymentMethods
    promises: PromiseDesk
    reports: ReportDesk

    def follow(self, log: WriteLog) -> None:
        """Share the payment reports sent here through ``log`` and apply the other workers'."""
        self.invoices.follow(log)


def build_billing(
    config: Mapping[str, Any],
    backend: Any,
    state: Guarded,
    upstream: WispHubClient,
    directory: ClientDirectory,
    *,
    budget: float,
) -> BillingServices:
    """Wire the invoice caches, payment methods, promises and reports of one app.

    ``budget``: the longest an upstream load may take (a cache's askers wait that long).
    """

    def brief(name: str, ttl: float) -> BriefCache[Any]:
        return BriefCache(
            backend, name, ttl=ttl, stale_max_age=config["STALE_MAX_AGE"], wait_seconds=budget
        )

    calendar = TenantCalendar(time_zone(config["WISPHUB_TIMEZONE"]))
    ttl = config["INVOICES_CACHE_TTL"]
    invoices = InvoiceBook(
        upstream,
        directory,
        brief("invoices", ttl),
        brief("balance", ttl),
        calendar,
        state,
        max_parallel=config["UPSTREAM_MAX_PARALLEL_PAGES"],
    )
    methods = PaymentMethods(
        upstream, brief("payment-methods", config["PAYMENT_METHODS_CACHE_TTL"])
    )
    promises = PromiseDesk(
        upstream,
        invoices,
        calendar,
        enabled=config["PAYMENT_PROMISES_ENABLED"],
        max_days=config["PAYMENT_PROMISE_MAX_DAYS"],
    )
    reports = ReportDesk(
        upstream, invoices, methods, calendar, max_bytes=config["RECEIPT_MAX_BYTES"]
    )
    return BillingServices(calendar, invoices, methods, promises, reports)
