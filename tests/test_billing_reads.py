"""Balance, invoices and payment methods over the real sandbox, checked against its own data."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from tests.conftest import AUTH
from tests.support.billing import all_rows, billing_app, bills, invoices_in, services_of
from tests.support.upstream_data import raw_clients

STATUS = {
    "Pendiente de Pago": "pending",
    "Pagada": "paid",
    "Cancelada": "cancelled",
    "En Revisión": "in_review",
}
EVERY = 10  # one client in ten: 150 of the sandbox's 1,500


@pytest.fixture(scope="module")
def rows(sandbox):
    sandbox.reset()
    return raw_clients(sandbox)


@pytest.fixture
def app(make_app, sandbox_clean):
    return billing_app(make_app, sandbox_clean)


@pytest.fixture
def client(app):
    return app.test_client()


def expected_invoice(row):
    return {
        "invoice_id": row["id_factura"],
        "issued_on": row["fecha_emision"],
        "due_on": row["fecha_vencimiento"],
        "total": row["total"],
        "balance": row["saldo"],
        "status": STATUS[row["estado"]],
    }


def without_period(invoice):
    return {key: value for key, value in invoice.items() if key != "period"}


def test_balance_equals_wispHubs_saldo_and_invoices_for_many_clients(client, sandbox, rows):
    checked = 0
    for row in rows[::EVERY]:
        service_id = row["id_servicio"]
        answer = client.get(f"/api/v1/clients/{service_id}/balance", headers=AUTH)
        assert answer.status_code == 200, service_id
        saldo = sandbox.get(f"/api/clientes/{service_id}/saldo").json()
        assert Decimal(str(answer.json["outstanding_balance"])) == Decimal(row["saldo"])
        assert answer.json["outstanding_balance"] == saldo["saldo"]
        mine = [f for f in saldo["facturas"] if bills(f, service_id)]
        expected = sorted(mine, key=lambda f: (f["fecha_emision"], f["id_factura"]), reverse=True)
        got = [without_period(i) for i in answer.json["pending_invoices"]]
        assert got == [expected_invoice(f) for f in expected], service_id
        owed = sum(Decimal(str(i["balance"])) for i in answer.json["pending_invoices"])
        if row["estado_facturas"] != "Pagadas":  # the sandbox's invoices add up to its saldo
            assert owed == Decimal(row["saldo"]) > 0, service_id
        assert answer.json["payment_status"] == row["estado_facturas"]
        assert answer.json["service_status"] == row["estado"]
        checked += 1
    assert checked >= 100


@pytest.mark.parametrize("months", [1, 3, 12])
def test_invoices_equal_the_sandboxs_listing_for_many_clients(client, app, sandbox, rows, months):
    windows = services_of(app).billing.calendar.issue_windows(months)
    sample = [r for r in rows[3::EVERY] if r["usuario"]]
    for row in sample[:40] if months == 12 else sample:
        service_id = row["id_servicio"]
        answer = client.get(
            f"/api/v1/clients/{service_id}/invoices?status=all&months={months}", headers=AUTH
        )
        assert answer.status_code == 200, service_id
        listed = [r for r in invoices_in(sandbox, windows, cliente=row["usuario"])]
        mine = sorted(
            (r for r in listed if bills(r, service_id)),
            key=lambda r: (r["fecha_emision"], r["id_factura"]),
            reverse=True,
        )
        assert [without_period(i) for i in answer.json] == [expected_invoice(r) for r in mine]


def test_invoices_outside_the_default_window_are_found(client, sandbox, rows):
    """WispHub lists only this month's invoices without dates; the API asks for three months."""
    row = next(r for r in rows if r["usuario"] and r["estado"] != "Gratis")
    default = all_rows(sandbox, "/api/facturas/", {"cliente": row["usuario"]})
    answer = client.get(f"/api/v1/clients/{row['id_servicio']}/invoices?status=all", headers=AUTH)
    assert answer.status_code == 200
    older = {i["invoice_id"] for i in answer.json} - {r["id_factura"] for r in default}
    assert older and len(answer.json) >= 2


@pytest.mark.parametrize(
    ("status", "allowed"),
    [("pending", {"pending", "in_review"}), ("paid", {"paid"}), ("all", None)],
)
def test_invoices_status_filter(client, rows, status, allowed):
    owing = [r for r in rows if r["estado_facturas"] == "Vencidas" and r["usuario"]][:5]
    for row in owing:
        base = f"/api/v1/clients/{row['id_servicio']}/invoices?months=12"
        every = client.get(base + "&status=all", headers=AUTH).json
        answer = client.get(f"{base}&status={status}", headers=AUTH)
        assert answer.status_code == 200
        wanted = allowed or {i["status"] for i in every}
        assert answer.json == [i for i in every if i["status"] in wanted]
    assert owing


def test_invoices_come_newest_first_with_their_period(client, rows):
    row = next(r for r in rows if r["usuario"] and r["estado"] != "Gratis")
    answer = client.get(
        f"/api/v1/clients/{row['id_servicio']}/invoices?status=all&months=12", headers=AUTH
    )
    issued = [i["issued_on"] for i in answer.json]
    assert issued == sorted(issued, reverse=True) and len(issued) >= 3
    for invoice in answer.json:
        assert invoice["period"]["start"] == invoice["issued_on"]
        assert invoice["period"]["start"] < invoice["period"]["end"]


def test_invoices_default_to_pending_of_three_months(client, rows):
    row = next(r for r in rows if r["estado_facturas"] == "Vencidas" and r["usuario"])
    path = f"/api/v1/clients/{row['id_servicio']}/invoices"
    assert (
        client.get(path, headers=AUTH).json
        == client.get(path + "?status=pending&months=3", headers=AUTH).json
    )


def test_invoices_of_a_free_service_are_none(client, rows):
    row = next(r for r in rows if r["estado"] == "Gratis" and r["usuario"])
    answer = client.get(f"/api/v1/clients/{row['id_servicio']}/invoices?status=all", headers=AUTH)
    assert (answer.status_code, answer.json) == (200, [])


def test_invoices_of_a_client_without_usuario_are_409_but_its_balance_answers(client, rows):
    row = next(r for r in rows if not r["usuario"] and r["estado"] != "Gratis")
    answer = client.get(f"/api/v1/clients/{row['id_servicio']}/invoices", headers=AUTH)
    assert (answer.status_code, answer.json["code"]) == (409, "invoices_unavailable")
    balance = client.get(f"/api/v1/clients/{row['id_servicio']}/balance", headers=AUTH)
    assert balance.status_code == 200
    assert Decimal(str(balance.json["outstanding_balance"])) == Decimal(row["saldo"])


@pytest.mark.parametrize("route", ["balance", "invoices"])
def test_unknown_client_is_404(client, rows, route):
    missing = max(r["id_servicio"] for r in rows) + 1
    answer = client.get(f"/api/v1/clients/{missing}/{route}", headers=AUTH)
    assert (answer.status_code, answer.json["code"]) == (404, "client_not_found")


@pytest.mark.parametrize(
    "query", ["status=open", "months=0", "months=13", "months=x", "other=1", "status="]
)
def test_invoices_query_is_validated(client, query):
    answer = client.get(f"/api/v1/clients/7/invoices?{query}", headers=AUTH)
    assert (answer.status_code, answer.json["code"]) == (422, "validation_error")


def test_balance_takes_no_query(client):
    assert client.get("/api/v1/clients/7/balance?x=1", headers=AUTH).status_code == 422


def test_invoices_are_cached_per_client_and_read_once_for_concurrent_askers(app, sandbox, rows):
    row = next(r for r in rows if r["usuario"] and r["estado"] != "Gratis")
    path = f"/api/v1/clients/{row['id_servicio']}/invoices?status=all"
    app.test_client().get("/api/v1/clients/7/balance", headers=AUTH)  # the directory is warm
    sandbox.reset_stats()

    def ask(_):
        answer = app.test_client().get(path, headers=AUTH)
        return answer.status_code, answer.headers["X-Cache"], answer.get_data()

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(ask, range(16)))
    assert {status for status, _, _ in answers} == {200}
    assert len({body for _, _, body in answers}) == 1
    assert sandbox.stats()["by_path"].get("/api/facturas/") == 1  # three months: one call
    assert ask(0)[1] == "HIT"
    assert sandbox.stats()["by_path"].get("/api/facturas/") == 1


def test_a_year_of_invoices_is_read_in_calls_of_at_most_92_days(app, sandbox, rows):
    row = next(r for r in rows if r["usuario"] and r["estado"] != "Gratis")
    client = app.test_client()
    client.get("/api/v1/clients/7/balance", headers=AUTH)
    sandbox.reset_stats()
    answer = client.get(f"/api/v1/clients/{row['id_servicio']}/invoices?months=12", headers=AUTH)
    assert answer.status_code == 200  # the sandbox answers 400 to a longer window
    assert sandbox.stats()["by_path"]["/api/facturas/"] == 4


def test_balance_is_cached_per_client(app, sandbox):
    client = app.test_client()
    first = client.get("/api/v1/clients/7/balance", headers=AUTH)
    sandbox.reset_stats()
    second = client.get("/api/v1/clients/7/balance", headers=AUTH)
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert second.json == first.json
    assert "/api/clientes/7/saldo" not in sandbox.stats()["by_path"]


def test_payment_methods_list_wisphubs_and_the_alias_answers_fastapis_shape(client, sandbox):
    upstream = sandbox.get("/api/formas-de-pago/").json()["results"]
    expected = [{"payment_method_id": m["id"], "name": m["nombre"]} for m in upstream]
    answer = client.get("/api/v1/payment-methods/", headers=AUTH)
    assert (answer.status_code, answer.json) == (200, expected)
    alias = client.get("/api/payment-methods/", headers=AUTH)
    assert alias.json == [
        {"id": m["id"], "name": m["nombre"], "payment_method_id": m["id"]} for m in upstream
    ]
    assert alias.headers["X-Cache"] == "HIT"


def test_payment_methods_are_cached(client, sandbox):
    client.get("/api/v1/payment-methods/", headers=AUTH)
    sandbox.reset_stats()
    assert client.get("/api/v1/payment-methods", headers=AUTH).headers["X-Cache"] == "HIT"
    assert "/api/formas-de-pago/" not in sandbox.stats()["by_path"]


def test_billing_routes_need_the_key(client):
    for path in (
        "/api/v1/clients/7/balance",
        "/api/v1/clients/7/invoices",
        "/api/v1/payment-methods/",
        "/api/v1/invoices/1/pdf",
    ):
        assert client.get(path).status_code == 401
