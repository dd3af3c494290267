"""The sandbox's invoices over real HTTP: listing filters, windows, consistency, saldo, PDF."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxProcess
from wisphub_api.sandbox import DEMO_API_KEY, SandboxOptions, clock, create_app
from wisphub_api.sandbox.options import parse_options

pytest_plugins = ["tests.support.sandbox"]

TODAY = date(2026, 4, 20)
WIDE = "fecha_emision__range_0=2026-01-18&fecha_emision__range_1=2026-04-20"  # 92 days
PERIOD = re.compile(r"Periodo del [1-9]\d?/[A-Z][a-z]{2}\./\d{4} al [1-9]\d?/[A-Z][a-z]{2}\./\d{4}")
INVOICE_KEYS = {
    "id_factura", "folio", "fecha_emision", "fecha_vencimiento", "fecha_pago", "estado", "tipo",
    "zona", "sub_total", "descuento", "saldo", "total", "total_cobrado", "pasarela",
    "referencia_pasarela", "cajero", "cliente", "articulos",
}  # fmt: skip
CLIENT_KEYS = {"usuario", "nombre", "email", "cedula", "direccion", "localidad", "telefono", "rfc"}


@pytest.fixture(scope="module")
def billed() -> Iterator[SandboxProcess]:
    """Run a sandbox whose today is 2026-04-20, no latency."""
    with SandboxProcess(latency_ms="0", per_row_ms=0, today=TODAY.isoformat()) as process:
        yield process


@pytest.fixture(scope="module")
def clients(billed: SandboxProcess) -> dict[int, dict[str, Any]]:
    """Read every client row, by id."""
    return {row["id_servicio"]: row for row in _all(billed, "/api/clientes/?")}


def _all(sandbox: SandboxProcess, path: str) -> list[dict[str, Any]]:
    rows, url = [], f"{sandbox.url}{path}&limit=300"
    while url:
        response = requests.get(url, headers=sandbox.headers, timeout=10)
        assert response.status_code == 200, response.text
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


def _invoices(sandbox: SandboxProcess, query: str = "") -> list[dict[str, Any]]:
    return _all(sandbox, f"/api/facturas/?{query}")


def _sid(invoice: dict[str, Any]) -> int:
    return int(invoice["articulos"][0]["servicio"]["id_servicio"])


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def test_invoices_without_dates_list_only_the_current_month(billed: SandboxProcess) -> None:
    rows = _invoices(billed)
    assert rows
    assert {row["fecha_emision"][:7] for row in rows} == {"2026-04"}
    assert len(_invoices(billed, WIDE)) > len(rows)


def _check_consistency(sandbox: SandboxProcess, rows: list[dict[str, Any]], today: date) -> None:
    window = f"fecha_emision__range_0={today - timedelta(days=92)}&fecha_emision__range_1={today}"
    pending: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for invoice in _invoices(sandbox, f"estado=1&{window}"):
        pending[_sid(invoice)].append(invoice)
    for row in rows:
        owed, saldo = pending[row["id_servicio"]], float(row["saldo"])
        overdue = [invoice for invoice in owed if _day(invoice["fecha_vencimiento"]) < today]
        if row["estado_facturas"] == "Pagadas":
            assert not owed and saldo <= 0, row["id_servicio"]
        else:
            assert sum(invoice["saldo"] for invoice in owed) == saldo > 0, row["id_servicio"]
            assert bool(overdue) == (row["estado_facturas"] == "Vencidas"), row["id_servicio"]


def test_invoices_agree_with_every_client_saldo_and_estado_facturas(
    billed: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    _check_consistency(billed, list(clients.values()), TODAY)


def test_invoices_agree_with_the_rows_on_the_real_today_too(
    sandbox_clean: SandboxProcess,
) -> None:
    today = date.fromisoformat(sandbox_clean.clock()["today"])
    _check_consistency(sandbox_clean, _all(sandbox_clean, "/api/clientes/?"), today)


def test_invoices_credit_is_a_negative_saldo_with_an_overpaid_invoice(
    billed: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    credits = [r for r in clients.values() if float(r["saldo"]) < 0 and r["estado"] != "Gratis"]
    row = next(r for r in credits if r["usuario"])
    invoices = _invoices(billed, f"cliente={row['usuario']}&{WIDE}")
    newest = max(invoices, key=lambda invoice: invoice["fecha_emision"])
    assert newest["estado"] == "Pagada"
    assert newest["total_cobrado"] == newest["total"] - float(row["saldo"])


def test_invoices_of_a_free_service_do_not_exist(
    billed: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    row = next(r for r in clients.values() if r["estado"] == "Gratis" and r["usuario"])
    assert _invoices(billed, f"cliente={row['usuario']}&{WIDE}") == []


def test_balance_lists_the_unpaid_invoices_of_the_listing(
    billed: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    pending: dict[int, set[int]] = defaultdict(set)
    for invoice in _invoices(billed, f"estado=1&{WIDE}"):
        pending[_sid(invoice)].add(invoice["id_factura"])
    for service_id in list(clients)[::25]:
        body = billed.get(f"/api/clientes/{service_id}/saldo").json()
        assert body["saldo"] == float(clients[service_id]["saldo"])
        assert {invoice["id_factura"] for invoice in body["facturas"]} == pending[service_id]


def test_balance_with_trailing_slash_redirects_to_the_canonical_path(
    billed: SandboxProcess,
) -> None:
    response = billed.get("/api/clientes/7/saldo/", allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (301, "/api/clientes/7/saldo")
    assert billed.get("/api/clientes/7/saldo/").json() == billed.get("/api/clientes/7/saldo").json()


def test_invoice_rows_have_wisphub_shape(billed: SandboxProcess) -> None:
    for row in _invoices(billed, WIDE)[:500]:
        assert set(row) == INVOICE_KEYS and set(row["cliente"]) == CLIENT_KEYS
        money = ("sub_total", "descuento", "saldo", "total", "total_cobrado")
        assert all(type(row[key]) is float for key in money)
        assert row["estado"] in ("Pendiente de Pago", "Pagada", "Cancelada")
        assert row["folio"] is None and set(row["zona"]) == {"id", "nombre"}
        assert (row["fecha_pago"] is None) == (row["estado"] != "Pagada")
        article = row["articulos"][0]
        assert isinstance(article["precio"], str) and PERIOD.search(article["descripcion"])
        assert _day(row["fecha_emision"]) <= _day(row["fecha_vencimiento"])


def test_invoice_period_line_names_the_month_in_spanish(billed: SandboxProcess) -> None:
    row = next(r for r in _invoices(billed) if r["fecha_emision"] == "2026-04-01")
    assert "Periodo del 1/Abr./2026 al 30/Abr./2026" in row["articulos"][0]["descripcion"]


@pytest.mark.parametrize(
    ("code", "estado"), [("1", "Pendiente de Pago"), ("2", "Pagada"), ("3", "Cancelada")]
)
def test_invoices_estado_code_filters(billed: SandboxProcess, code: str, estado: str) -> None:
    rows = _invoices(billed, f"estado={code}&{WIDE}")
    assert rows and {row["estado"] for row in rows} == {estado}


@pytest.mark.parametrize("value", ["4", "5", "Pagada", "0"])
def test_invoices_estado_without_matches_is_empty(billed: SandboxProcess, value: str) -> None:
    assert _invoices(billed, f"estado={value}&{WIDE}") == []


def test_invoices_zona_filter_partitions_the_listing(billed: SandboxProcess) -> None:
    total = len(_invoices(billed))
    zones = [zone["id"] for zone in billed.get("/api/zonas/").json()["results"]]
    counted = 0
    for zone in zones:
        rows = _invoices(billed, f"zona={zone}")
        assert {row["zona"]["id"] for row in rows} <= {zone}
        counted += len(rows)
    assert counted == total


def test_invoices_cliente_filter_takes_the_usuario_not_the_id(
    billed: SandboxProcess, clients: dict[int, dict[str, Any]]
) -> None:
    rows = _invoices(billed, f"cliente={clients[7]['usuario']}&{WIDE}")
    assert rows and {_sid(row) for row in rows} == {7}
    assert _invoices(billed, f"cliente=7&{WIDE}") == []


def test_invoices_desde_hasta_apply_to_tipo_fecha(billed: SandboxProcess) -> None:
    rows = _invoices(billed, "desde=2026-04-01&hasta=2026-04-30&tipo_fecha=vencimiento")
    assert rows and all("2026-04-01" <= row["fecha_vencimiento"] <= "2026-04-30" for row in rows)
    assert any(row["fecha_emision"] < "2026-04-01" for row in rows)


def test_invoices_payment_window_lists_paid_invoices_paid_in_it(billed: SandboxProcess) -> None:
    rows = _invoices(billed, "fecha_pago__range_0=2026-03-01&fecha_pago__range_1=2026-03-31")
    assert rows and {row["estado"] for row in rows} == {"Pagada"}
    assert all(row["fecha_pago"][:7] == "2026-03" for row in rows)


def test_invoices_vencimiento_range_filters_due_dates(billed: SandboxProcess) -> None:
    query = "fecha_vencimiento__range_0=2026-02-10&fecha_vencimiento__range_1=2026-02-20"
    rows = _invoices(billed, query)
    assert rows and all("2026-02-10" <= row["fecha_vencimiento"] <= "2026-02-20" for row in rows)


@pytest.mark.parametrize(
    "keys",
    [
        ("fecha_emision__range_0", "fecha_emision__range_1"),
        ("fecha_vencimiento__range_0", "fecha_vencimiento__range_1"),
        ("fecha_pago__range_0", "fecha_pago__range_1"),
        ("desde", "hasta"),
    ],
)
def test_invoices_window_of_92_days_passes_and_93_is_400(
    billed: SandboxProcess, keys: tuple[str, str]
) -> None:
    start = date(2026, 1, 1)
    ok = billed.get(f"/api/facturas/?{keys[0]}={start}&{keys[1]}={start + timedelta(days=92)}")
    assert ok.status_code == 200
    wide = billed.get(f"/api/facturas/?{keys[0]}={start}&{keys[1]}={start + timedelta(days=93)}")
    assert wide.status_code == 400
    assert set(wide.json()) == {"error"}


@pytest.mark.parametrize(
    "query", ["fecha_emision__range_0=hoy", "desde=2026-02-30", "desde=2026-04-01&tipo_fecha=x"]
)
def test_invoices_bad_date_or_tipo_fecha_is_400(billed: SandboxProcess, query: str) -> None:
    response = billed.get(f"/api/facturas/?{query}")
    assert response.status_code == 400
    assert "error" in response.json()


def test_invoices_paging_walks_a_listing_once(billed: SandboxProcess) -> None:
    ids = [row["id_factura"] for row in _invoices(billed, WIDE)]
    assert len(ids) == len(set(ids)) == billed.get(f"/api/facturas/?{WIDE}").json()["count"]
    assert ids == sorted(ids)


def _pages(process: SandboxProcess) -> list[bytes]:
    pages = [process.get(f"/api/facturas/?{WIDE}&limit=300&offset={n}").content for n in (0, 900)]
    pages.append(process.get("/api/tickets/?limit=300").content)
    return [page.replace(process.url.encode(), b"") for page in pages]


def test_same_today_is_byte_identical_and_another_today_moves_the_dates(
    billed: SandboxProcess,
) -> None:
    fast = {"latency_ms": "0", "per_row_ms": 0}
    with (
        SandboxProcess(today=TODAY.isoformat(), **fast) as twin,
        SandboxProcess(today="2026-05-20", **fast) as later,
    ):
        assert _pages(twin) == _pages(billed)
        assert _pages(later) != _pages(billed)
        assert later.clock()["today"] == "2026-05-20"
        assert {row["fecha_emision"][:7] for row in _invoices(later)} == {"2026-05"}


def test_default_today_is_the_real_date(sandbox: SandboxProcess) -> None:
    today = date.fromisoformat(sandbox.clock()["today"])
    assert today in (date.today(), date.today() - timedelta(days=1))  # started before midnight


@pytest.mark.parametrize("today", ["2026-01-31", "2026-03-01", "2026-03-31", "2028-02-29"])
def test_invoices_agree_with_the_rows_at_month_edges(today: str) -> None:
    options = SandboxOptions(
        clients=300, latency_ms=(0.0, 0.0), per_row_ms=0.0, today=date.fromisoformat(today)
    )
    client = create_app(options).test_client()
    auth = {"Authorization": f"Api-Key {DEMO_API_KEY}"}
    rows = client.get("/api/clientes/?limit=300", headers=auth).get_json()["results"]
    day = date.fromisoformat(today)
    window = f"fecha_emision__range_0={day - timedelta(days=92)}&fecha_emision__range_1={day}"
    owed: dict[int, float] = defaultdict(float)
    for offset in range(0, 3000, 300):
        page = client.get(
            f"/api/facturas/?estado=1&{window}&limit=300&offset={offset}", headers=auth
        )
        for invoice in page.get_json()["results"]:
            owed[_sid(invoice)] += invoice["saldo"]
    assert all(owed[row["id_servicio"]] == max(0.0, float(row["saldo"])) for row in rows)


def test_the_default_today_is_the_tenants_date_not_the_machines(monkeypatch) -> None:
    """At 02:00 UTC it is still the day before in the tenant's UTC-5."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            moment = datetime(2030, 6, 10, 2, 0, tzinfo=UTC)
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    monkeypatch.setattr(clock, "datetime", Frozen)
    assert SandboxOptions().today == date(2030, 6, 9)
    assert parse_options([]).today == date(2030, 6, 9)
    assert clock.tenant_now(SandboxOptions().today).isoformat() == "2030-06-09T21:00:00-05:00"
