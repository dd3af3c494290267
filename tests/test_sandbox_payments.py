"""The sandbox's billing writes over real HTTP: payment methods, promises, reports, payments."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import pytest

from tests.support.sandbox import SandboxProcess

pytest_plugins = ["tests.support.sandbox"]

RECEIPT = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
REPORT = {
    "forma_pago": "8",
    "fecha_pago": "2026-04-18 09:30",
    "referencia": "TRX-0001",
    "comprobante_pago": "000123",
    "nombre_user": "Titular",
}
PAYMENT = {"forma_pago": 7, "accion": 1, "fecha_pago": "2026-04-18 10:00"}


def _row(sandbox: SandboxProcess, service_id: int) -> dict[str, Any]:
    return sandbox.get(f"/api/clientes/?id_servicio={service_id}").json()["results"][0]


def _suspended_debtor(sandbox: SandboxProcess) -> tuple[int, dict[str, Any]]:
    rows = sandbox.get("/api/clientes/?estado=2&limit=300").json()["results"]
    row = next(r for r in rows if r["estado_facturas"] != "Pagadas")
    invoice = sandbox.get(f"/api/clientes/{row['id_servicio']}/saldo").json()["facturas"][0]
    return row["id_servicio"], invoice


def _paid_invoice(sandbox: SandboxProcess) -> int:
    today = date.fromisoformat(sandbox.clock()["today"])
    query = f"estado=2&fecha_emision__range_0={today - timedelta(days=60)}&limit=1"
    return int(sandbox.get(f"/api/facturas/?{query}").json()["results"][0]["id_factura"])


def _promise(sandbox: SandboxProcess, invoice_id: int, **changes: Any) -> Any:
    until = date.fromisoformat(sandbox.clock()["today"]) + timedelta(days=3)
    body = {"id_factura": invoice_id, "fecha_limite": until.isoformat(), "accion": 1, **changes}
    return sandbox.post("/api/promesa-pago/", json=body)


def _report(sandbox: SandboxProcess, invoice_id: int, receipt: bytes = RECEIPT) -> Any:
    files = {"comprobante_pago_archivo": ("recibo.png", receipt, "image/png")}
    return sandbox.post(f"/api/facturas/reportar-pago/{invoice_id}/", data=REPORT, files=files)


def _pay(sandbox: SandboxProcess, invoice: dict[str, Any], **changes: Any) -> Any:
    body = {**PAYMENT, "total_cobrado": invoice["saldo"], **changes}
    return sandbox.post(f"/api/facturas/{invoice['id_factura']}/registrar-pago/", json=body)


def _estado_of_invoice(sandbox: SandboxProcess, service_id: int, invoice_id: int) -> str:
    invoices = sandbox.get(f"/api/clientes/{service_id}/saldo").json()["facturas"]
    return next((inv["estado"] for inv in invoices if inv["id_factura"] == invoice_id), "gone")


def test_payment_methods_include_cash_as_7(sandbox: SandboxProcess) -> None:
    body = sandbox.get("/api/formas-de-pago/").json()
    assert {"id": 7, "nombre": "Efectivo"} in body["results"]
    assert len(body["results"]) >= 4 and body["count"] == len(body["results"])
    assert all(set(method) == {"id", "nombre"} for method in body["results"])


def test_promise_reactivates_a_suspended_client_in_every_read(
    sandbox_clean: SandboxProcess,
) -> None:
    service_id, invoice = _suspended_debtor(sandbox_clean)
    active = sandbox_clean.get("/api/clientes/?estado=1&limit=1").json()["count"]
    response = _promise(sandbox_clean, invoice["id_factura"])
    assert response.status_code == 201
    assert response.json()["id_factura"] == invoice["id_factura"]
    assert _row(sandbox_clean, service_id)["estado"] == "Activo"
    assert sandbox_clean.get(f"/api/clientes/{service_id}/").json()["estado"] == "Activo"
    assert sandbox_clean.get("/api/clientes/?estado=1&limit=1").json()["count"] == active + 1
    (promise,) = sandbox_clean.billing()["promises"]
    assert (promise["servicio"], promise["reactivado"], promise["vigente"]) == (
        service_id,
        True,
        True,
    )


def test_promise_with_accion_0_leaves_the_suspension(sandbox_clean: SandboxProcess) -> None:
    service_id, invoice = _suspended_debtor(sandbox_clean)
    assert _promise(sandbox_clean, invoice["id_factura"], accion=0).status_code == 201
    assert _row(sandbox_clean, service_id)["estado"] == "Suspendido"


def test_promise_on_a_paid_invoice_is_400(sandbox_clean: SandboxProcess) -> None:
    response = _promise(sandbox_clean, _paid_invoice(sandbox_clean))
    assert response.status_code == 400
    assert "error" in response.json()
    assert sandbox_clean.billing()["promises"] == []


@pytest.mark.parametrize(
    "changes",
    [
        {"id_factura": 1},
        {"id_factura": "x"},
        {"fecha_limite": "2020-01-01"},
        {"fecha_limite": "05/12/2026"},
        {"accion": 2},
    ],
)
def test_promise_bad_body_is_400(sandbox_clean: SandboxProcess, changes: dict[str, Any]) -> None:
    _, invoice = _suspended_debtor(sandbox_clean)
    response = _promise(sandbox_clean, invoice["id_factura"], **changes)
    assert response.status_code == 400
    assert "error" in response.json()


def test_promise_twice_on_one_invoice_is_400(sandbox_clean: SandboxProcess) -> None:
    _, invoice = _suspended_debtor(sandbox_clean)
    assert _promise(sandbox_clean, invoice["id_factura"]).status_code == 201
    assert _promise(sandbox_clean, invoice["id_factura"]).status_code == 400


def test_promise_get_is_405_and_slashless_post_is_301(sandbox_clean: SandboxProcess) -> None:
    response = sandbox_clean.get("/api/promesa-pago/")
    assert response.status_code == 405
    assert "detail" in response.json()
    _, invoice = _suspended_debtor(sandbox_clean)
    body = {"id_factura": invoice["id_factura"], "fecha_limite": "2099-01-01", "accion": 1}
    moved = sandbox_clean.post("/api/promesa-pago", json=body, allow_redirects=False)
    assert moved.status_code == 301
    assert sandbox_clean.billing()["promises"] == []


def test_report_puts_the_invoice_in_review_and_keeps_a_receipt_digest(
    sandbox_clean: SandboxProcess,
) -> None:
    service_id, invoice = _suspended_debtor(sandbox_clean)
    response = _report(sandbox_clean, invoice["id_factura"])
    assert response.status_code == 201
    assert response.json()["estado"] == "En Revisión"
    assert _estado_of_invoice(sandbox_clean, service_id, invoice["id_factura"]) == "En Revisión"
    (report,) = sandbox_clean.billing()["reports"]
    assert report["archivo"] == {
        "nombre": "recibo.png",
        "tipo": "image/png",
        "bytes": len(RECEIPT),
        "sha256": hashlib.sha256(RECEIPT).hexdigest(),
    }
    assert (report["referencia"], report["forma_pago"]) == ("TRX-0001", 8)


def test_report_in_review_is_found_by_estado_4(sandbox_clean: SandboxProcess) -> None:
    _, invoice = _suspended_debtor(sandbox_clean)
    _report(sandbox_clean, invoice["id_factura"])
    query = f"estado=4&fecha_emision__range_0={invoice['fecha_emision']}"
    rows = sandbox_clean.get(f"/api/facturas/?{query}").json()["results"]
    assert [row["id_factura"] for row in rows] == [invoice["id_factura"]]


def test_report_without_file_empty_file_or_bad_method_is_400(
    sandbox_clean: SandboxProcess,
) -> None:
    _, invoice = _suspended_debtor(sandbox_clean)
    path = f"/api/facturas/reportar-pago/{invoice['id_factura']}/"
    assert sandbox_clean.post(path, json=REPORT).status_code == 400
    assert _report(sandbox_clean, invoice["id_factura"], receipt=b"").status_code == 400
    files = {"comprobante_pago_archivo": ("r.png", RECEIPT, "image/png")}
    bad = sandbox_clean.post(path, data={**REPORT, "forma_pago": "99"}, files=files)
    assert bad.status_code == 400
    assert sandbox_clean.billing()["reports"] == []


def test_report_on_paid_invoice_is_400_twice_is_400_unknown_is_404(
    sandbox_clean: SandboxProcess,
) -> None:
    assert _report(sandbox_clean, _paid_invoice(sandbox_clean)).status_code == 400
    _, invoice = _suspended_debtor(sandbox_clean)
    assert _report(sandbox_clean, invoice["id_factura"]).status_code == 201
    assert _report(sandbox_clean, invoice["id_factura"]).status_code == 400
    assert _report(sandbox_clean, 123).status_code == 404


def test_payment_settles_the_invoice_and_the_saldo(sandbox_clean: SandboxProcess) -> None:
    service_id, invoice = _suspended_debtor(sandbox_clean)
    saldo = float(_row(sandbox_clean, service_id)["saldo"])
    assert _promise(sandbox_clean, invoice["id_factura"], accion=0).status_code == 201
    response = _pay(sandbox_clean, invoice)
    assert response.status_code == 200
    assert response.json()["messages"] == ["Se agrego correctamente el pago"]
    row = _row(sandbox_clean, service_id)
    assert (row["estado"], float(row["saldo"])) == ("Activo", saldo - invoice["saldo"])
    assert _estado_of_invoice(sandbox_clean, service_id, invoice["id_factura"]) == "gone"
    assert sandbox_clean.billing()["promises"][0]["vigente"] is False
    remaining = sandbox_clean.get(f"/api/clientes/{service_id}/saldo").json()["facturas"]
    assert sum(inv["saldo"] for inv in remaining) == max(0.0, float(row["saldo"]))
    today = sandbox_clean.clock()["today"]
    overdue = any(inv["fecha_vencimiento"] < today for inv in remaining)
    expected = "Vencidas" if overdue else "Pendiente de Pago" if remaining else "Pagadas"
    assert row["estado_facturas"] == expected


def test_payment_task_ends_in_success(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.latency(task_seconds=0)
    _, invoice = _suspended_debtor(sandbox_clean)
    task_id = _pay(sandbox_clean, invoice).json()["task_id"]
    assert sandbox_clean.get(f"/api/tasks/{task_id}/").json()["task"]["status"] == "SUCCESS"


def test_payment_of_a_paid_invoice_is_422(sandbox_clean: SandboxProcess) -> None:
    _, invoice = _suspended_debtor(sandbox_clean)
    assert _pay(sandbox_clean, invoice).status_code == 200
    again = _pay(sandbox_clean, invoice)
    assert again.status_code == 422
    assert "error" in again.json()


@pytest.mark.parametrize(
    "changes", [{"total_cobrado": 0}, {"total_cobrado": "x"}, {"forma_pago": 1}, {"accion": 3}]
)
def test_payment_bad_body_is_400(sandbox_clean: SandboxProcess, changes: dict[str, Any]) -> None:
    _, invoice = _suspended_debtor(sandbox_clean)
    assert _pay(sandbox_clean, invoice, **changes).status_code == 400
    assert sandbox_clean.billing()["payments"] == []


def test_reset_undoes_promises_reports_and_payments(sandbox_clean: SandboxProcess) -> None:
    service_id, invoice = _suspended_debtor(sandbox_clean)
    before = _row(sandbox_clean, service_id)
    _promise(sandbox_clean, invoice["id_factura"])
    _report(sandbox_clean, invoice["id_factura"])
    _pay(sandbox_clean, invoice)
    sandbox_clean.reset()
    assert _row(sandbox_clean, service_id) == before
    assert _estado_of_invoice(sandbox_clean, service_id, invoice["id_factura"]) == invoice["estado"]
    assert sandbox_clean.billing() == {"promises": [], "reports": [], "payments": []}


def test_upload_over_the_body_limit_is_a_json_413(sandbox_clean: SandboxProcess) -> None:
    _, invoice = _suspended_debtor(sandbox_clean)
    response = _report(sandbox_clean, invoice["id_factura"], receipt=b"x" * (11 * 1024 * 1024))
    assert response.status_code == 413
    assert "detail" in response.json()
    assert sandbox_clean.billing()["reports"] == []
