"""One client's invoices and balance, read from WispHub on demand and kept briefly.

WispHub hides invoices outside a default window (the current month) and refuses windows over
~3 months, and its per-client filter is not reliable. So a client's invoices are read with an
explicit window of its last ``months`` months, split into calls of at most 92 days, filtered by
``cliente=<usuario>``, and matched again here by the services their articles bill. Never the
invoices of the whole ISP per request. Each (client, months) listing and each balance
(``/saldo``) is cached for ``INVOICES_CACHE_TTL`` seconds, single-flight, stale while WispHub
fails (``BriefCache``).

A payment report turns its invoice "in review" in WispHub. The reported invoice is appended to
the ``invoices`` write log; every worker shows it in review at once (the writer) or within
STATE_POLL_SECONDS, over listings read before WispHub could show it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from wisphub_api.services.brief import BriefCache
from wisphub_api.services.calendar import TenantCalendar
from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.errors import InvoiceNotFound, InvoicesUnavailable, WritesUnavailable
from wisphub_api.services.snapshots import CacheState
from wisphub_api.services.writelog import Entry, WriteLog
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.state.guard import Guarded
from wisphub_api.upstream.billing import PdfDocument
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.errors import UpstreamNotFound
from wisphub_api.upstream.invoices import CENT, UNPAID_STATUSES, Invoice
from wisphub_api.upstream.models import Client

logger = logging.getLogger("wisphub_api.invoices")

STATUS_FILTERS = {
    "pending": UNPAID_STATUSES,  # still owed: not paid yet, or paid and waiting for review
    "paid": frozenset({"paid"}),
    "all": frozenset({"pending", "paid", "cancelled", "in_review"}),
}
MAX_MONTHS = 12
# A report stays laid over listings read up to this long after it: WispHub's derived states lag
# writes by tens of seconds (the same grace as the client directory's).
REPORT_GRACE_SECONDS = 60.0
_ORDER = {"HIT": 0, "MISS": 1, "STALE": 2}


@dataclass(frozen=True, slots=True)
class InvoiceListing:
    """A client's invoices of some months, as read from ``started_at`` on."""

    invoices: tuple[Invoice, ...]
    started_at: float


@dataclass(frozen=True, slots=True)
class BalanceRecord:
    """What ``/saldo`` said (the client's invoices, when the tenant lists them), and when."""

    amount: Decimal  # positive: owed; negative: a credit
    unpaid: tuple[Invoice, ...] | None
    started_at: float


def combine_states(*states: CacheState) -> CacheState:
    """Return the state of an answer built from several cached parts: the worst, the oldest."""
    worst = max(states, key=lambda s: _ORDER.get(s.status, 0))
    return CacheState(worst.status, max(s.age for s in states))


def newest_first(invoices: Iterable[Invoice]) -> list[Invoice]:
    """Order invoices by issue date, newest first (then by id)."""
    return sorted(
        invoices, key=lambda i: (i.issued_on.toordinal() if i.issued_on else 0, i.invoice_id)
    )[::-1]


def money_number(amount: Decimal) -> float:
    """Return an amount as the JSON number answered (two decimals; exact to the cent)."""
    return float(amount.quantize(CENT))


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    """Return an invoice as the contract answers it: the one serialiser of that shape."""
    period = invoice.period
    return {
        "invoice_id": invoice.invoice_id,
        "issued_on": invoice.issued_on.isoformat() if invoice.issued_on else None,
        "due_on": invoice.due_on.isoformat() if invoice.due_on else None,
        "total": money_number(invoice.total),
        "balance": money_number(invoice.balance),
        "status": invoice.status,
        "period": {"start": period[0].isoformat(), "end": period[1].isoformat()}
        if period
        else None,
    }


class InvoiceBook:
    """Answer a client's invoices and balance from brief caches over on-demand WispHub reads."""

    def __init__(
        self,
        upstream: WispHubClient,
        directory: ClientDirectory,
        listings: BriefCache[InvoiceListing],
        balances: BriefCache[BalanceRecord],
        calendar: TenantCalendar,
        state: Guarded,
        *,
        max_parallel: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.upstream = upstream
        self.directory = directory
        self.state = state
        self.listings = listings
        self.balances = balances
        self.calendar = calendar
        self.max_parallel = max_parallel
        self._clock = clock
        self._lock = threading.Lock()
        self._reported: dict[int, float] = {}  # invoice id -> when its report was accepted
        self._log: WriteLog | None = None

    # -- reads ----------------------------------------------------------------------------
    def client(self, service_id: int) -> tuple[Client, CacheState]:
        """Return the client of a service (``ClientNotFound`` when there is none)."""
        return self.directory.by_service_id(service_id)

    def _load_listing(self, service_id: int, username: str, months: int) -> InvoiceListing:
        started = self._clock()
        windows = self.calendar.issue_windows(months)

        def window(bounds: tuple[date, date]) -> list[Invoice]:
            return self.upstream.list_invoices(username, *bounds)

        if len(windows) == 1:
            parts = [window(windows[0])]
        else:  # a year is four or five calls: at once, within the page fan-out
            with ThreadPoolExecutor(max_workers=min(self.max_parallel, len(windows))) as pool:
                parts = list(pool.map(window, windows))
        found = {i.invoice_id: i for part in parts for i in part if i.bills(service_id)}
        return InvoiceListing(tuple(newest_first(found.values())), started)

    def listing(self, client: Client, months: int) -> tuple[InvoiceListing, CacheState]:
        """Return a client's invoices issued in the last ``months`` months (cached)."""
        username = client.username
        if not username:  # WispHub lists invoices by usuario only
            raise InvoicesUnavailable()
        key = f"{client.service_id}:{months}"
        listing, state = self.listings.get(
            key, lambda: self._load_listing(client.service_id, username, months)
        )
        return self._reviewed(listing), state

    def invoices(
        self, service_id: int, status: str, months: int
    ) -> tuple[list[Invoice], CacheState]:
        """Return a client's invoices of ``status`` (pending, paid, all), newest first."""
        client, client_state = self.client(service_id)
        listing, state = self.listing(client, months)
        wanted = STATUS_FILTERS[status]
        return [i for i in listing.invoices if i.status in wanted], combine_states(
            client_state, state
        )

    def _load_balance(self, service_id: int) -> BalanceRecord:
        started = self._clock()
        balance = self.upstream.get_balance(service_id)
        unpaid = None
        if balance.unpaid is not None:
            mine = (i for i in balance.unpaid if i.bills(service_id))
            unpaid = tuple(newest_first(i for i in mine if i.status in UNPAID_STATUSES))
        return BalanceRecord(balance.amount, unpaid, started)

    def balance(
        self, client: Client, *, fresh: bool = False
    ) -> tuple[BalanceRecord, list[Invoice], CacheState]:
        """Return what a client owes and its unpaid invoices, newest first.

        The amount is WispHub's ``saldo``; the invoices are the ones ``/saldo`` lists, or, for a
        tenant whose ``/saldo`` lists none, the unpaid ones of the last twelve months.
        ``fresh`` reads WispHub now (before a write) and keeps the answer for the next reads.
        """
        key = str(client.service_id)
        if fresh:
            record, state = self._load_balance(client.service_id), CacheState("MISS", 0.0)
            self.balances.put(key, record)
        else:
            record, state = self.balances.get(key, lambda: self._load_balance(client.service_id))
        if record.unpaid is not None:
            reviewed = self._reviewed(InvoiceListing(record.unpaid, record.started_at))
            return record, list(reviewed.invoices), state
        listing, listing_state = self.listing(client, MAX_MONTHS)
        unpaid = [i for i in listing.invoices if i.status in UNPAID_STATUSES]
        return record, unpaid, combine_states(state, listing_state)

    def pdf(self, invoice_id: int) -> PdfDocument:
        """Start streaming an invoice's PDF (never cached: it is read once, for one caller)."""
        try:
            return self.upstream.invoice_pdf(invoice_id)
        except UpstreamNotFound:
            raise InvoiceNotFound() from None

    def statement(self, service_id: int) -> tuple[dict[str, Any], CacheState]:
        """Return the balance answer: what WispHub says is owed, the service's states."""
        client, client_state = self.client(service_id)
        record, unpaid, state = self.balance(client)
        body = {
            "service_id": client.service_id,
            "outstanding_balance": money_number(record.amount),
            "payment_status": client.payment_status,
            "service_status": client.service_status,
            "cut_off_date": client.cut_off_date,
            "pending_invoices": [invoice_json(invoice) for invoice in unpaid],
        }
        return body, combine_states(client_state, state)

    # -- payment reports ------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Refuse a write before WispHub when the other workers could not learn of it."""
        try:
            self.state.ping()
        except SharedStateUnavailable as exc:
            raise WritesUnavailable(exc.retry_after) from None

    def follow(self, log: WriteLog) -> None:
        """Share the payment reports made here through ``log`` and apply the other workers'."""
        self._log = log
        log.subscribers.append(self._apply)

    def record_report(self, invoice_id: int) -> None:
        """Show an invoice whose payment report WispHub accepted as in review, everywhere."""
        entry: Entry = {"invoice_id": invoice_id, "written_at": self._clock()}
        if self._log is None:
            self._apply([entry])
            return
        try:
            self._log.append(entry)  # applies it here at once, then in the other workers
        except SharedStateUnavailable:
            # Checked before sending, so rare: the others show it with their next read.
            logger.warning("a payment report could not be shared with the other workers")
            self._apply([entry])

    def _apply(self, entries: list[Entry]) -> None:
        """Record reported invoices (this worker's or another's)."""
        for entry in entries:
            try:
                invoice_id, written_at = int(entry["invoice_id"]), float(entry["written_at"])
            except (KeyError, TypeError, ValueError):
                logger.warning("skipped an unreadable entry of the invoices write log")
                continue
            with self._lock:
                self._reported[invoice_id] = max(written_at, self._reported.get(invoice_id, 0))
        # A listing read before a report and older than stale_max_age is never served again.
        horizon = self._clock() - self.listings.stale_max_age - REPORT_GRACE_SECONDS
        with self._lock:
            for invoice_id in [i for i, at in self._reported.items() if at < horizon]:
                del self._reported[invoice_id]

    def _reviewed(self, listing: InvoiceListing) -> InvoiceListing:
        """Show reported invoices in review in a listing read before WispHub could show it."""
        with self._lock:
            if not self._reported:
                return listing
            reported = {
                invoice_id
                for invoice_id, written_at in self._reported.items()
                if listing.started_at < written_at + REPORT_GRACE_SECONDS
            }
        if not reported:
            return listing
        invoices = tuple(
            replace(i, status="in_review")
            if i.invoice_id in reported and i.status == "pending"
            else i
            for i in listing.invoices
        )
        return InvoiceListing(invoices, listing.started_at)
