"""Payment reports with a receipt over the real sandbox: checked first, streamed, never logged."""

from __future__ import annotations

import hashlib
import io
import logging

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import AUTH
from tests.support.billing import (
    JPEG,
    NOT_AN_IMAGE,
    PDF,
    PNG,
    billing_app,
    services_of,
    suspended_debtors,
)

REPORTS = "/api/facturas/reportar-pago/"


@pytest.fixture
def app(make_app, sandbox_clean):
    return billing_app(make_app, sandbox_clean)


@pytest.fixture
def invoice(sandbox_clean) -> dict:
    """Return a pending invoice of a client who owes, as the sandbox lists it."""
    row = suspended_debtors(sandbox_clean)[0]
    return sandbox_clean.get(f"/api/clientes/{row['id_servicio']}/saldo").json()["facturas"][0]


def form(receipt=PNG, name="IMG_2026 Juan Pérez CC 1019473144.png", **fields):
    body = {"payment_method_id": "9", "paid_at": "", "reference": "NEQUI-8812", **fields}
    body["receipt"] = FileStorage(io.BytesIO(receipt), filename=name)
    return {k: v for k, v in body.items() if v is not None}


def report(app, invoice_id, body, headers=None):
    if not body.get("paid_at") and "paid_at" in body:
        body["paid_at"] = services_of(app).billing.calendar.today().isoformat()
    # Encoded here, in memory: the test client would spool a large body to a file it never closes.
    boundary, data = encode_multipart(body)
    return app.test_client().post(
        f"/api/v1/invoices/{invoice_id}/payment-reports",
        data=data,
        headers={**AUTH, **(headers or {})},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def stats(sandbox):
    return sum(n for path, n in sandbox.stats()["by_path"].items() if path.startswith(REPORTS))


@pytest.mark.parametrize(
    ("receipt", "kind", "extension"),
    [(PNG, "image/png", "png"), (JPEG, "image/jpeg", "jpg"), (PDF, "application/pdf", "pdf")],
)
def test_report_is_sent_for_review_with_the_receipt_judged_by_content(
    app, sandbox_clean, invoice, receipt, kind, extension
):
    answer = report(app, invoice["id_factura"], form(receipt, name="whatever.bin"))
    assert (answer.status_code, answer.json) == (
        202,
        {"invoice_id": invoice["id_factura"], "status": "pending_review"},
    )
    [recorded] = sandbox_clean.billing()["reports"]
    assert recorded["archivo"]["sha256"] == hashlib.sha256(receipt).hexdigest()
    assert recorded["archivo"]["bytes"] == len(receipt)
    assert recorded["archivo"]["tipo"] == kind
    assert recorded["archivo"]["nombre"] == f"receipt-{invoice['id_factura']}.{extension}"
    assert (recorded["forma_pago"], recorded["referencia"]) == (9, "NEQUI-8812")
    assert sandbox_clean.billing()["payments"] == []  # a report is never a payment


def test_reported_invoice_is_in_review_in_every_read_at_once(app, sandbox_clean, invoice):
    service_id = invoice["articulos"][0]["servicio"]["id_servicio"]
    client = app.test_client()
    before = client.get(f"/api/v1/clients/{service_id}/invoices", headers=AUTH).json
    assert {i["invoice_id"]: i["status"] for i in before}[invoice["id_factura"]] == "pending"
    client.get(f"/api/v1/clients/{service_id}/balance", headers=AUTH)  # cached before the report
    assert report(app, invoice["id_factura"], form()).status_code == 202
    after = client.get(f"/api/v1/clients/{service_id}/invoices", headers=AUTH)
    assert after.headers["X-Cache"] == "HIT"  # the listing read before the report, overlaid
    assert {i["invoice_id"]: i["status"] for i in after.json}[invoice["id_factura"]] == "in_review"
    balance = client.get(f"/api/v1/clients/{service_id}/balance", headers=AUTH).json
    statuses = {i["invoice_id"]: i["status"] for i in balance["pending_invoices"]}
    assert statuses[invoice["id_factura"]] == "in_review"
    assert balance["outstanding_balance"] > 0  # still owed until the ISP registers it


def test_receipt_of_another_kind_is_415_and_nothing_is_sent(app, sandbox_clean, invoice):
    answer = report(app, invoice["id_factura"], form(NOT_AN_IMAGE, name="receipt.png"))
    assert (answer.status_code, answer.json["code"]) == (415, "unsupported_receipt_type")
    assert stats(sandbox_clean) == 0


def test_empty_receipt_is_415(app, sandbox_clean, invoice):
    answer = report(app, invoice["id_factura"], form(b""))
    assert answer.status_code == 415 and stats(sandbox_clean) == 0


def test_receipt_over_the_limit_is_413_and_nothing_is_sent(make_app, sandbox_clean, invoice):
    app = billing_app(make_app, sandbox_clean, RECEIPT_MAX_BYTES=len(PNG) - 1)
    answer = report(app, invoice["id_factura"], form(PNG))
    assert (answer.status_code, answer.json["code"]) == (413, "receipt_too_large")
    assert str(len(PNG) - 1) in answer.json["detail"]
    assert stats(sandbox_clean) == 0


def test_body_far_over_the_limit_is_413_before_it_is_read(make_app, sandbox_clean, invoice):
    app = billing_app(make_app, sandbox_clean, RECEIPT_MAX_BYTES=1000)
    big = PNG + b"\x00" * 200_000
    answer = report(app, invoice["id_factura"], form(big))
    assert (answer.status_code, answer.json["code"]) == (413, "receipt_too_large")
    assert stats(sandbox_clean) == 0


def test_a_receipt_larger_than_the_json_limit_is_accepted(app, sandbox_clean, invoice):
    big = PNG + bytes(range(256)) * 4096  # 1 MB, far over MAX_CONTENT_LENGTH (64 KB)
    answer = report(app, invoice["id_factura"], form(big))
    assert answer.status_code == 202
    assert sandbox_clean.billing()["reports"][0]["archivo"]["bytes"] == len(big)


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"receipt": None}, 400, "receipt"),
        ({"payment_method_id": None}, 400, "payment_method_id"),
        ({"payment_method_id": "x"}, 422, "payment_method_id"),
        ({"paid_at": "ayer"}, 422, "paid_at"),
        ({"paid_at": "2099-01-01"}, 422, "paid_at"),
        ({"paid_at": "2020-01-01T10:00:00-05:00"}, 422, "paid_at"),
        ({"reference": " "}, 422, "reference"),
        ({"extra": "1"}, 422, "extra"),
    ],
)
def test_report_form_is_validated_before_anything_is_sent(
    app, sandbox_clean, invoice, changes, status, field
):
    body = form()
    for name, value in changes.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    answer = report(app, invoice["id_factura"], body)
    assert answer.status_code == status, answer.json
    assert field in answer.json["errors"]
    assert stats(sandbox_clean) == 0


def test_unknown_payment_method_is_422(app, sandbox_clean, invoice):
    answer = report(app, invoice["id_factura"], form(payment_method_id="999"))
    assert (answer.status_code, answer.json["code"]) == (422, "unknown_payment_method")
    assert stats(sandbox_clean) == 0


def test_repeated_form_fields_are_422(app, sandbox_clean, invoice):
    body = form()
    body["payment_method_id"] = ["9", "10"]
    answer = report(app, invoice["id_factura"], body)
    assert answer.status_code == 422 and "payment_method_id" in answer.json["errors"]
    assert stats(sandbox_clean) == 0


def test_report_body_must_be_multipart(app, invoice):
    answer = app.test_client().post(
        f"/api/v1/invoices/{invoice['id_factura']}/payment-reports",
        json={"payment_method_id": 9},
        headers=AUTH,
    )
    assert (answer.status_code, answer.json["code"]) == (415, "unsupported_media_type")
    assert "multipart/form-data" in answer.json["detail"]


def test_other_routes_still_refuse_multipart(app):
    answer = app.test_client().post(
        "/api/v1/clients/7/verify",
        data={"address": "x"},
        headers=AUTH,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 415


def test_report_of_an_unknown_invoice_is_404(app, sandbox_clean):
    answer = report(app, 1, form())
    assert (answer.status_code, answer.json["code"]) == (404, "invoice_not_found")


def test_report_refused_by_wisphub_is_409(app, sandbox_clean, invoice):
    assert report(app, invoice["id_factura"], form()).status_code == 202
    again = report(app, invoice["id_factura"], form())  # already in review
    assert (again.status_code, again.json["code"]) == (409, "payment_report_refused")
    assert len(sandbox_clean.billing()["reports"]) == 1


def test_a_retried_report_with_its_key_is_sent_once(app, sandbox_clean, invoice):
    key = {"Idempotency-Key": "wa-receipt-1"}
    first = report(app, invoice["id_factura"], form(), key)
    second = report(app, invoice["id_factura"], form(), key)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(sandbox_clean.billing()["reports"]) == 1
    other = report(app, invoice["id_factura"], form(JPEG), key)  # same key, another receipt
    assert (other.status_code, other.json["code"]) == (422, "idempotency_key_reused")


def test_receipts_and_their_fields_are_never_logged(app, sandbox_clean, invoice, caplog):
    with caplog.at_level(logging.DEBUG):
        answer = report(app, invoice["id_factura"], form())
    assert answer.status_code == 202
    for secret in ("NEQUI-8812", "1019473144", "Pérez", "IHDR", "\\x89PNG", "receipt-"):
        assert secret not in caplog.text
