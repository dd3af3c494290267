"""The tenant's invoices: drawn per client on first use, then kept (and changed by payments)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from wisphub_api.sandbox.account import Account
from wisphub_api.sandbox.dataset import ClientRecord, Dataset
from wisphub_api.sandbox.directory import StaffMember
from wisphub_api.sandbox.invoice_query import InvoiceQuery
from wisphub_api.sandbox.invoice_rows import invoice_row
from wisphub_api.sandbox.ledger import UNPAID, Invoice, LedgerSeed, id_stride, plan_ledger

SELECTION_CACHE = 16  # recent listings kept, so walking a listing's pages does not redo it


class Billing:
    """Invoices per client, promises, payment reports and registered payments of one run."""

    def __init__(
        self, dataset: Dataset, staff: Sequence[StaffMember], seed: int, today: date
    ) -> None:
        self.dataset, self.today = dataset, today
        self.stride = id_stride(len(dataset.records))
        self._seed = LedgerSeed(seed, today, self.stride, tuple(staff))
        self._accounts: dict[int, Account] = {}
        self._selections: dict[tuple[tuple[str, str], ...], list[Invoice]] = {}
        self.lock = threading.Lock()  # writes check and change invoices as one step
        self.promises: list[dict[str, Any]] = []  # "vigente" until the invoice is paid
        self.reports: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []

    def account(self, service_id: int) -> Account:
        """Return a client's account (its plan drawn on first use)."""
        account = self._accounts.get(service_id)
        if account is None:
            row = self.dataset.by_id[service_id].row
            plan = plan_ledger(self._seed, row, self.dataset.opening_saldo[service_id])
            account = self._accounts[service_id] = Account(self._seed, plan)
        return account

    def ledger(self, service_id: int) -> list[Invoice]:
        """Return a client's invoices, oldest first."""
        return self.account(service_id).invoices()

    def invoice(self, invoice_id: int) -> Invoice | None:
        """Find an invoice by id (the id names its client and month: one invoice is drawn)."""
        service_id = invoice_id % self.stride
        if invoice_id <= 0 or service_id not in self.dataset.by_id:
            return None
        return self.account(service_id).find(invoice_id, self.stride)

    def changed(self) -> None:
        """Forget cached listings after a write changed an invoice."""
        self._selections.clear()

    def unpaid(self, service_id: int) -> list[Invoice]:
        """Return what a client still owes: pending and in-review invoices, oldest first."""
        return [invoice for invoice in self.ledger(service_id) if invoice.status in UNPAID]

    def _candidates(self, query: InvoiceQuery) -> Iterable[ClientRecord]:
        records: Iterable[ClientRecord] = self.dataset.records
        if query.usuario is not None:
            found = self.dataset.by_usuario.get(query.usuario)
            records = [found] if found is not None else []
        if query.zone_given:
            records = [r for r in records if r.row["zona"]["id"] == query.zone]
        return records

    def select(self, query: InvoiceQuery, key: tuple[tuple[str, str], ...]) -> list[Invoice]:
        """Return the invoices a listing selects, by id (issue month, then client).

        `key` names the listing (its filters without paging) for the selection cache.
        """
        chosen = self._selections.get(key)
        if chosen is None:
            kind, window = query.windows[0]  # every listing has a window (the month by default)
            chosen = [
                invoice
                for record in self._candidates(query)
                for invoice in self.account(record.row["id_servicio"]).near(kind, window)
                if query.matches(invoice)
            ]
            chosen.sort(key=lambda invoice: invoice.id)
            if len(self._selections) >= SELECTION_CACHE:
                del self._selections[next(iter(self._selections))]
            self._selections[key] = chosen
        return chosen

    def row(self, invoice: Invoice) -> dict[str, Any]:
        """Return the invoice's row, with its client's current data."""
        return invoice_row(invoice, self.dataset.by_id[invoice.service_id])

    def balance(self, service_id: int) -> dict[str, Any] | None:
        """Return the `/saldo` body: saldo as a number and the unpaid invoices."""
        record = self.dataset.by_id.get(service_id)
        if record is None:
            return None
        row = record.row
        facturas = [self.row(invoice) for invoice in self.unpaid(service_id)]
        return {"nombre": row["nombre"], "saldo": float(row["saldo"]), "facturas": facturas}

    def active_promise(self, invoice_id: int) -> dict[str, Any] | None:
        """Return the invoice's promise still in force, if any."""
        return next(
            (p for p in self.promises if p["id_factura"] == invoice_id and p["vigente"]), None
        )

    def records(self) -> dict[str, Any]:
        """Return what was written through the API, for `GET /__billing`."""
        with self.lock:
            return {
                "promises": [dict(promise) for promise in self.promises],
                "reports": [dict(report) for report in self.reports],
                "payments": [dict(payment) for payment in self.payments],
            }
