"""What the billing tests need: the sandbox's own invoices read directly, apps, receipts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.support.upstream_data import raw_clients
from wisphub_api.config import load_config
from wisphub_api.services.calendar import TenantCalendar, time_zone

# Receipts of each accepted kind, and one that only claims to be an image.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 4000
PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n"
NOT_AN_IMAGE = b"GIF89a" + b"\x00" * 100

SERVICES = "wisphub_api.services"


def services_of(app: Any) -> Any:
    """Return the wired services of an app."""
    return app.extensions[SERVICES]


def billing_app(make_app: Any, sandbox: Any, **overrides: Any) -> Any:
    """Return an app on ``sandbox`` with payment promises enabled unless overridden."""
    settings = {"PAYMENT_PROMISES_ENABLED": True, **overrides}
    return make_app(WISPHUB_NET_HOST=sandbox.url, WISPHUB_NET_KEY=sandbox.api_key, **settings)


def all_rows(sandbox: Any, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every row of a sandbox listing, page by page."""
    rows: list[dict[str, Any]] = []
    while True:
        query = {**params, "limit": 300, "offset": len(rows)}
        response = sandbox.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page["results"]
        if len(rows) >= page["count"]:
            return rows


def invoices_in(sandbox: Any, windows: list[tuple[date, date]], **params: Any) -> list[dict]:
    """Return the sandbox's invoice rows issued in ``windows`` (each at most 92 days)."""
    rows: list[dict[str, Any]] = []
    for start, end in windows:
        window = {"fecha_emision__range_0": start.isoformat(), "fecha_emision__range_1": end}
        rows += all_rows(sandbox, "/api/facturas/", {**params, **window})
    return rows


def bills(row: dict[str, Any], service_id: int) -> bool:
    """Tell whether an invoice row bills ``service_id``."""
    return any(a["servicio"]["id_servicio"] == service_id for a in row["articulos"])


def sandbox_today(sandbox: Any) -> date:
    """Return the sandbox's today."""
    return date.fromisoformat(sandbox.clock()["today"])


def promise_dates(app: Any, sandbox: Any) -> dict[str, date]:
    """Return promise dates both clocks agree on (the API's and the sandbox's days may differ)."""
    first, last = services_of(app).billing.promises.window()
    theirs = sandbox_today(sandbox)
    return {
        "valid": max(first, theirs) + timedelta(days=1),
        "past": min(first, theirs) - timedelta(days=1),
        "beyond": last + timedelta(days=1),
        "last": last,
    }


def clients_by(sandbox: Any, predicate: Any) -> list[dict[str, Any]]:
    """Return the sandbox's client rows satisfying ``predicate``."""
    return [row for row in raw_clients(sandbox) if predicate(row)]


def suspended_debtors(sandbox: Any) -> list[dict[str, Any]]:
    """Return the suspended clients who owe something (they have pending invoices)."""
    return clients_by(
        sandbox,
        lambda r: (
            r["estado"] == "Suspendido" and r["estado_facturas"] != "Pagadas" and r["usuario"]
        ),
    )


def keep_billing_rules(case: Any, *, until: date | None = None) -> None:
    """Give a generated valid case of a billing route the values only the day and data allow.

    JSON Schema cannot say "from today to PAYMENT_PROMISE_MAX_DAYS ahead", "a JPEG, PNG or PDF
    by its content" or "a payment method WispHub has": positive cases of those routes get such
    values (the rest of the case stays as generated). ``until`` defaults to tomorrow.
    """
    label = case.operation.label
    if not isinstance(case.body, dict):
        return
    zone = time_zone(load_config(environ={})["WISPHUB_TIMEZONE"])
    today = TenantCalendar(zone).today()
    if label.endswith("/payment-promises") and "until" in case.body:
        case.body["until"] = (until or today + timedelta(days=1)).isoformat()
    if label.endswith("/payment-reports"):
        case.body.update(receipt=PNG, payment_method_id=9, paid_at=today.isoformat())
