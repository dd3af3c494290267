"""Payment promises over the real sandbox: every rule of the contract, and what WispHub records."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH
from tests.support.billing import (
    billing_app,
    clients_by,
    invoices_in,
    promise_dates,
    services_of,
    suspended_debtors,
)
from tests.test_reliability_faults import closed_port_url

PROMISES = "/api/promesa-pago/"


@pytest.fixture
def app(make_app, sandbox_clean):
    return billing_app(make_app, sandbox_clean)


@pytest.fixture
def dates(app, sandbox_clean):
    return promise_dates(app, sandbox_clean)


def promise(app, service_id, until, **body):
    headers = {**AUTH, **body.pop("headers", {})}
    path = f"/api/v1/clients/{service_id}/payment-promises"
    return app.test_client().post(path, json={"until": str(until), **body}, headers=headers)


def owed(sandbox, service_id):
    """Return the client's unpaid invoices as the sandbox lists them, oldest first."""
    rows = sandbox.get(f"/api/clientes/{service_id}/saldo").json()["facturas"]
    return sorted(rows, key=lambda r: r["fecha_emision"])


def test_promise_reconnects_a_suspended_client_in_every_read(app, sandbox_clean, dates):
    row = suspended_debtors(sandbox_clean)[0]
    service_id = row["id_servicio"]
    client = app.test_client()
    assert (
        client.get(f"/api/v1/clients/by-service-id/{service_id}", headers=AUTH).json[
            "service_status"
        ]
        == "Suspendido"
    )
    oldest = owed(sandbox_clean, service_id)[0]
    answer = promise(app, service_id, dates["valid"])
    assert answer.status_code == 201
    assert answer.json == {
        "invoice_id": oldest["id_factura"],
        "until": dates["valid"].isoformat(),
        "service_reactivated": True,
    }
    [recorded] = sandbox_clean.billing()["promises"]
    assert (recorded["id_factura"], recorded["fecha_limite"], recorded["accion"]) == (
        oldest["id_factura"],
        dates["valid"].isoformat(),
        1,
    )
    assert recorded["reactivado"] is True
    shown = client.get(f"/api/v1/clients/by-service-id/{service_id}", headers=AUTH).json
    assert shown["service_status"] == "Activo"
    listed = {c["service_id"]: c for c in client.get("/api/v1/clients/", headers=AUTH).json}
    assert listed[service_id]["service_status"] == "Activo"
    balance = client.get(f"/api/v1/clients/{service_id}/balance", headers=AUTH).json
    assert balance["service_status"] == "Activo"


def test_promise_without_invoice_names_the_oldest_pending_one(app, sandbox_clean, dates):
    row = next(r for r in suspended_debtors(sandbox_clean) if r["estado_facturas"] == "Vencidas")
    invoices = owed(sandbox_clean, row["id_servicio"])
    assert len(invoices) == 2
    answer = promise(app, row["id_servicio"], dates["valid"])
    assert answer.json["invoice_id"] == invoices[0]["id_factura"]


def test_promise_of_a_named_invoice_of_an_active_client(app, sandbox_clean, dates):
    row = clients_by(
        sandbox_clean, lambda r: r["estado"] == "Activo" and r["estado_facturas"] == "Vencidas"
    )[0]
    newest = owed(sandbox_clean, row["id_servicio"])[-1]
    answer = promise(app, row["id_servicio"], dates["last"], invoice_id=newest["id_factura"])
    assert answer.status_code == 201, answer.json
    assert answer.json["invoice_id"] == newest["id_factura"]
    assert answer.json["service_reactivated"] is False


@pytest.mark.parametrize("when", ["past", "beyond"])
def test_promise_dated_out_of_the_window_is_422_and_sends_nothing(app, sandbox_clean, dates, when):
    row = suspended_debtors(sandbox_clean)[0]
    sandbox_clean.reset_stats()
    answer = promise(app, row["id_servicio"], dates[when])
    assert (answer.status_code, answer.json["code"]) == (422, "validation_error")
    assert list(answer.json["errors"]) == ["until"]
    assert PROMISES not in sandbox_clean.stats()["by_path"]


def test_promise_of_a_paid_invoice_is_409(app, sandbox_clean, dates):
    row = clients_by(
        sandbox_clean,
        lambda r: r["estado_facturas"] == "Pagadas" and r["usuario"] and r["estado"] != "Gratis",
    )[0]
    windows = services_of(app).billing.calendar.issue_windows(12)
    paid = next(
        r
        for r in invoices_in(sandbox_clean, windows, cliente=row["usuario"])
        if r["estado"] == "Pagada"
    )
    answer = promise(app, row["id_servicio"], dates["valid"], invoice_id=paid["id_factura"])
    assert (answer.status_code, answer.json["code"]) == (409, "invoice_already_paid")
    assert sandbox_clean.billing()["promises"] == []


def test_promise_of_a_cancelled_invoice_is_409(app, sandbox_clean, dates):
    windows = services_of(app).billing.calendar.issue_windows(12)
    rows = {r["usuario"]: r for r in clients_by(sandbox_clean, lambda r: r["usuario"])}
    cancelled = next(
        r for r in invoices_in(sandbox_clean, windows, estado=3) if r["cliente"]["usuario"] in rows
    )
    service_id = cancelled["articulos"][0]["servicio"]["id_servicio"]
    answer = promise(app, service_id, dates["valid"], invoice_id=cancelled["id_factura"])
    assert (answer.status_code, answer.json["code"]) == (409, "invoice_not_payable")


def test_promise_of_another_clients_invoice_is_404(app, sandbox_clean, dates):
    debtors = suspended_debtors(sandbox_clean)
    theirs = owed(sandbox_clean, debtors[1]["id_servicio"])[0]
    answer = promise(
        app, debtors[0]["id_servicio"], dates["valid"], invoice_id=theirs["id_factura"]
    )
    assert (answer.status_code, answer.json["code"]) == (404, "invoice_not_found")
    assert sandbox_clean.billing()["promises"] == []


def test_promise_of_a_client_who_owes_nothing_is_409(app, sandbox_clean, dates):
    row = clients_by(sandbox_clean, lambda r: r["estado_facturas"] == "Pagadas")[0]
    answer = promise(app, row["id_servicio"], dates["valid"])
    assert (answer.status_code, answer.json["code"]) == (409, "nothing_owed")


def test_a_second_promise_of_the_same_invoice_is_refused_by_wisphub(app, sandbox_clean, dates):
    row = suspended_debtors(sandbox_clean)[0]
    assert promise(app, row["id_servicio"], dates["valid"]).status_code == 201
    again = promise(app, row["id_servicio"], dates["valid"])
    assert (again.status_code, again.json["code"]) == (409, "promise_refused")
    assert "La factura" not in again.json["detail"]  # WispHub's own words are never passed on
    assert len(sandbox_clean.billing()["promises"]) == 1


def test_promise_of_an_unknown_client_is_404(app, sandbox_clean, dates):
    answer = promise(app, 999_999, dates["valid"])
    assert (answer.status_code, answer.json["code"]) == (404, "client_not_found")


def test_promises_turned_off_are_403_before_the_body_is_read(make_app, sandbox_clean):
    app = billing_app(make_app, sandbox_clean, PAYMENT_PROMISES_ENABLED=False)
    client = app.test_client()
    for body in ({"until": "2030-01-01"}, {"until": 5}, {}):
        answer = client.post("/api/v1/clients/7/payment-promises", json=body, headers=AUTH)
        assert (answer.status_code, answer.json["code"]) == (403, "feature_disabled")
    assert PROMISES not in sandbox_clean.stats()["by_path"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"until": "tomorrow"}, 422),
        ({"until": 20261201}, 422),
        ({"until": None}, 422),
        ({"invoice_id": "5"}, 422),
        ({"invoice_id": 0}, 422),
        ({"invoice_id": True}, 422),
        ({"note": "x"}, 422),
    ],
)
def test_promise_body_is_validated(app, dates, body, status):
    body = {"until": str(dates["valid"]), **body} if "until" not in body and body else body
    answer = app.test_client().post("/api/v1/clients/7/payment-promises", json=body, headers=AUTH)
    assert answer.status_code == status, answer.json


def test_promise_body_must_be_json(app):
    answer = app.test_client().post(
        "/api/v1/clients/7/payment-promises",
        data="until=2026-01-01",
        headers=AUTH,
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 415


def test_a_retried_promise_with_its_key_is_sent_once(app, sandbox_clean, dates):
    row = suspended_debtors(sandbox_clean)[0]
    key = {"Idempotency-Key": "wa-msg-0001"}
    first = promise(app, row["id_servicio"], dates["valid"], headers=key)
    second = promise(app, row["id_servicio"], dates["valid"], headers=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json["until"] == dates["valid"].isoformat()  # the same answer as without a key
    assert second.json == first.json and second.headers["Idempotent-Replayed"] == "true"
    assert len(sandbox_clean.billing()["promises"]) == 1
    other = promise(app, row["id_servicio"], dates["last"], headers=key)
    assert (other.status_code, other.json["code"]) == (422, "idempotency_key_reused")


def test_a_promise_that_times_out_is_504_and_its_key_keeps_that_answer(make_app, sandbox_clean):
    app = billing_app(make_app, sandbox_clean, UPSTREAM_READ_TIMEOUT=0.5)
    dates = promise_dates(app, sandbox_clean)
    row = suspended_debtors(sandbox_clean)[0]
    app.test_client().get(f"/api/v1/clients/{row['id_servicio']}/balance", headers=AUTH)
    sandbox_clean.fault("stall", path=PROMISES)
    sandbox_clean.reset_stats()
    key = {"Idempotency-Key": "wa-msg-timeout"}
    try:
        first = promise(app, row["id_servicio"], dates["valid"], headers=key)
        second = promise(app, row["id_servicio"], dates["valid"], headers=key)
    finally:
        sandbox_clean.fault("ok")  # releases the stalled call
    assert (first.status_code, first.json["code"]) == (504, "upstream_timeout")
    assert second.status_code == 504 and second.headers["Idempotent-Replayed"] == "true"
    assert sandbox_clean.stats()["by_path"][PROMISES] == 1  # never retried, never re-sent


def test_a_promise_is_refused_before_wisphub_when_writes_cannot_be_shared(make_app, sandbox_clean):
    redis_gone = closed_port_url().replace("http", "redis") + "/0"
    app = billing_app(make_app, sandbox_clean, CACHE_REDIS_URL=redis_gone)
    dates = promise_dates(app, sandbox_clean)
    row = suspended_debtors(sandbox_clean)[0]
    answer = promise(app, row["id_servicio"], dates["valid"])
    assert (answer.status_code, answer.json["code"]) == (503, "writes_unavailable")
    assert "Retry-After" in answer.headers
    assert PROMISES not in sandbox_clean.stats()["by_path"]
