"""The billing answers are what their schemas document: same fields, same order, valid values."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import AUTH
from tests.support.billing import PNG, billing_app, promise_dates, services_of, suspended_debtors
from tests.support.upstream_data import raw_clients
from wisphub_api.schemas.billing import (
    BalanceSchema,
    CompatPaymentMethodSchema,
    InvoiceSchema,
    PaymentMethodSchema,
    PaymentReportSchema,
    PromiseSchema,
)


def agrees(schema, body):
    assert list(body) == list(schema.fields)
    assert schema.validate(body) == {}


def test_balances_and_invoices_match_their_schemas(make_app, sandbox_clean):
    client = billing_app(make_app, sandbox_clean).test_client()
    rows = [r for r in raw_clients(sandbox_clean)[::50] if r["usuario"]]
    seen = 0
    for row in rows:
        balance = client.get(f"/api/v1/clients/{row['id_servicio']}/balance", headers=AUTH).json
        agrees(BalanceSchema(), balance)
        path = f"/api/v1/clients/{row['id_servicio']}/invoices?status=all&months=12"
        for invoice in client.get(path, headers=AUTH).json + balance["pending_invoices"]:
            agrees(InvoiceSchema(), invoice)
            seen += 1
    assert seen > 100


def test_payment_methods_match_their_schemas(make_app, sandbox_clean):
    client = billing_app(make_app, sandbox_clean).test_client()
    for method in client.get("/api/v1/payment-methods/", headers=AUTH).json:
        agrees(PaymentMethodSchema(), method)
    for method in client.get("/api/payment-methods/", headers=AUTH).json:
        assert set(method) == set(CompatPaymentMethodSchema().fields)
        assert CompatPaymentMethodSchema().validate(method) == {}


def test_write_answers_match_their_schemas(make_app, sandbox_clean):
    app = billing_app(make_app, sandbox_clean)
    row = suspended_debtors(sandbox_clean)[0]
    until = promise_dates(app, sandbox_clean)["valid"].isoformat()
    promised = app.test_client().post(
        f"/api/v1/clients/{row['id_servicio']}/payment-promises",
        json={"until": until},
        headers=AUTH,
    )
    agrees(PromiseSchema(), promised.json)
    boundary, data = encode_multipart(
        {
            "receipt": FileStorage(io.BytesIO(PNG), filename="r.png"),
            "payment_method_id": "7",
            "paid_at": services_of(app).billing.calendar.today().isoformat(),
        }
    )
    reported = app.test_client().post(
        f"/api/v1/invoices/{promised.json['invoice_id']}/payment-reports",
        data=data,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=AUTH,
    )
    assert reported.status_code == 202
    agrees(PaymentReportSchema(), reported.json)
