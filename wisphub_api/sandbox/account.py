"""One client's account: its billing plan and the invoices drawn so far (then kept, and changed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from wisphub_api.sandbox.ledger import (
    PAY_SLACK_DAYS,
    Invoice,
    LedgerPlan,
    LedgerSeed,
    draw_invoice,
    month_index,
)
from wisphub_api.sandbox.windows import Window


class Account:
    """Draw a client's invoices one at a time, on first use, and keep them."""

    def __init__(self, seed: LedgerSeed, plan: LedgerPlan | None) -> None:
        self._seed, self.plan = seed, plan
        self._drawn: dict[int, Invoice] = {}  # by months before the newest

    def _invoice(self, plan: LedgerPlan, back: int) -> Invoice:
        invoice = self._drawn.get(back)
        if invoice is None:
            invoice = self._drawn[back] = draw_invoice(self._seed, plan, back)
        return invoice

    def invoices(self) -> list[Invoice]:
        """Return every invoice, oldest first."""
        plan = self.plan
        if plan is None:
            return []
        return [self._invoice(plan, back) for back in range(plan.count - 1, -1, -1)]

    def find(self, invoice_id: int, stride: int) -> Invoice | None:
        """Return the invoice with this id, drawing only that one."""
        if self.plan is None:
            return None
        back = month_index(self.plan.newest) - invoice_id // stride
        if not 0 <= back < self.plan.count:
            return None
        invoice = self._invoice(self.plan, back)
        return invoice if invoice.id == invoice_id else None

    def near(self, kind: str, window: Window) -> Iterator[Invoice]:
        """Yield the invoices whose `kind` date (emision, vencimiento, pago) may be in `window`."""
        plan = self.plan
        if plan is None:
            return
        # Due and payment dates follow the issue date by at most these many days.
        slack = {"emision": 0, "vencimiento": plan.grace}.get(kind, plan.grace + PAY_SLACK_DAYS)
        earliest = window[0] - timedelta(days=slack)
        for back in range(plan.count):
            issued = plan.issued(back)
            if issued < earliest:
                break
            if issued <= window[1]:
                yield self._invoice(plan, back)
