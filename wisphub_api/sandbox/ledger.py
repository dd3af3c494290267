"""Each client's invoices, drawn lazily and deterministically so that they agree with its row.

One invoice a month, issued on the client's billing day and due `grace` days later, the newest
issued in the last 4 weeks before the sandbox's today. The newest `unpaid` are "Pendiente de
Pago" and the rest paid (a few cancelled), where `unpaid` follows `estado_facturas`:

- Pagadas: none unpaid; a negative saldo (credit) was overpaid on the newest invoice.
- Pendiente de Pago: the newest, not yet due (issued at most `grace` days ago); total == saldo.
- Vencidas: the newest two; the older one is past due; their totals add up to saldo.

Gratis services are never billed. A client's plan (billing day, grace, history length) is drawn
once; each invoice is drawn on its own from a hash of (seed, service, age), so a listing of one
month draws one invoice per client, not the whole history. Invoice ids encode (issue month,
service id), so an id finds its invoice without drawing any other.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from wisphub_api.sandbox.clock import TENANT_TZ, add_months
from wisphub_api.sandbox.directory import StaffMember

PENDING, PAID, CANCELLED = "Pendiente de Pago", "Pagada", "Cancelada"
IN_REVIEW, TRANSFERRED = "En Revisión", "Transferida"
UNPAID = frozenset({PENDING, IN_REVIEW})  # what a client still owes (saldo, /saldo facturas)
ESTADO_CODES = {"1": PENDING, "2": PAID, "3": CANCELLED, "4": IN_REVIEW, "5": TRANSFERRED}
UNPAID_BY_STATE = {"Pagadas": 0, "Pendiente de Pago": 1, "Vencidas": 2}
GRACE_DAYS = (5, 10, 15)
HISTORY = (3, 12)  # invoices a client has, at least and at most
CANCEL_RATE = 0.03
PAY_SLACK_DAYS = 3  # a payment comes at most grace + 3 days after the issue
EPOCH_YEAR = 2000  # invoice id = months since EPOCH_YEAR * stride + service id


@dataclass(slots=True)
class Invoice:
    """One invoice; `balance` is what is left to pay and `collected` what was paid."""

    id: int
    service_id: int
    issued: date
    due: date
    period_end: date
    sub_total: Decimal
    discount: Decimal
    status: str
    balance: Decimal
    collected: Decimal
    paid_at: datetime | None = None
    cashier: dict[str, Any] | None = None

    @property
    def total(self) -> Decimal:
        """Return the invoice's total: sub_total minus discount."""
        return self.sub_total - self.discount


def id_stride(clients: int) -> int:
    """Return the power of ten above every service id (at least 100,000)."""
    return int(10 ** max(5, len(str(max(clients, 1)))))


def month_index(day: date) -> int:
    """Count the months from January of EPOCH_YEAR to `day`'s month."""
    return (day.year - EPOCH_YEAR) * 12 + day.month - 1


@dataclass(frozen=True, slots=True)
class LedgerSeed:
    """What every ledger is drawn from: the seed, the sandbox's today, id stride, cashiers."""

    seed: int
    today: date
    stride: int
    staff: Sequence[StaffMember]


@dataclass(frozen=True, slots=True)
class LedgerPlan:
    """A client's billing: newest issue day, grace, history length, unpaid count, amounts."""

    service_id: int
    newest: date
    grace: int
    count: int
    unpaid: int
    price: Decimal
    discount: Decimal
    credit: Decimal

    def issued(self, back: int) -> date:
        """Return the issue day of the invoice `back` months before the newest."""
        return add_months(self.newest, -back)


def plan_ledger(seed: LedgerSeed, row: dict[str, Any], opening_saldo: str) -> LedgerPlan | None:
    """Draw a client's billing plan (None for a Gratis service, which is never billed)."""
    if row["estado"] == "Gratis":
        return None
    rng = random.Random(f"{seed.seed}:ledger:{row['id_servicio']}")
    grace = rng.choice(GRACE_DAYS)
    unpaid = UNPAID_BY_STATE.get(row["estado_facturas"], 0)
    lag = rng.randint(0, grace) if unpaid == 1 else rng.randint(0, 27)
    return LedgerPlan(
        service_id=row["id_servicio"],
        newest=seed.today - timedelta(days=lag),
        grace=grace,
        count=rng.randint(max(HISTORY[0], unpaid), HISTORY[1]),
        unpaid=unpaid,
        price=Decimal(row["precio_plan"]),
        discount=Decimal(row["descuento"]),
        credit=max(Decimal(0), -Decimal(opening_saldo)),
    )


def _draws(seed: LedgerSeed, plan: LedgerPlan, back: int) -> list[float]:
    key = f"{seed.seed}:invoice:{plan.service_id}:{back}".encode()
    digest = hashlib.blake2b(key, digest_size=12).digest()
    return [int.from_bytes(digest[i : i + 2], "big") / 65536 for i in range(0, 12, 2)]


def _pay(seed: LedgerSeed, invoice: Invoice, plan: LedgerPlan, draws: list[float]) -> None:
    delay = int(draws[0] * (plan.grace + PAY_SLACK_DAYS + 1))
    day = min(invoice.issued + timedelta(days=delay), seed.today)
    # Paid "today" means early this morning, so a payment never lies in the future.
    hour = 7 + int(draws[1] * 13) if day < seed.today else int(draws[1] * 6)
    minute, second = int(draws[2] * 60), int(draws[3] * 60)
    invoice.paid_at = datetime(day.year, day.month, day.day, hour, minute, second, 0, TENANT_TZ)
    cashier = seed.staff[int(draws[4] * len(seed.staff))]
    invoice.cashier = {"id": cashier.id, "nombre": cashier.nombre}
    invoice.status, invoice.balance, invoice.collected = PAID, Decimal(0), invoice.total


def draw_invoice(seed: LedgerSeed, plan: LedgerPlan, back: int) -> Invoice:
    """Draw the invoice `back` months before the client's newest."""
    issued = plan.issued(back)
    invoice = Invoice(
        id=month_index(issued) * seed.stride + plan.service_id,
        service_id=plan.service_id,
        issued=issued,
        due=issued + timedelta(days=plan.grace),
        period_end=add_months(plan.newest, 1 - back) - timedelta(days=1),
        sub_total=plan.price,
        discount=plan.discount,
        status=PENDING,
        balance=plan.price - plan.discount,
        collected=Decimal(0),
    )
    if back < plan.unpaid:
        return invoice
    draws = _draws(seed, plan, back)
    _pay(seed, invoice, plan, draws)
    if back > 0 and draws[5] < CANCEL_RATE:
        invoice.status, invoice.collected = CANCELLED, Decimal(0)
        invoice.paid_at = invoice.cashier = None
    elif back == 0:
        invoice.collected += plan.credit  # an overpayment WispHub keeps as a negative saldo
    return invoice


def derived_state(invoices: Sequence[Invoice], today: date) -> str:
    """Return estado_facturas as WispHub derives it from the unpaid invoices."""
    unpaid = [invoice for invoice in invoices if invoice.status in UNPAID]
    if not unpaid:
        return "Pagadas"
    return "Vencidas" if any(invoice.due < today for invoice in unpaid) else "Pendiente de Pago"
