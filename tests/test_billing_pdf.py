"""Invoice PDFs over the real sandbox: streamed as they come; 403 for a key without the right."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import AUTH
from tests.support.billing import billing_app

RESTRICTED_KEY = "Sbx4NoPd.W1spHubSandboxKey000000000000002"


@pytest.fixture
def invoice(sandbox_clean) -> dict:
    """Return an invoice of client 7 as the sandbox lists it."""
    return sandbox_clean.get("/api/clientes/7/saldo").json()["facturas"][0]


def test_pdf_is_streamed_as_wisphub_sends_it(make_app, sandbox_clean, invoice):
    app = billing_app(make_app, sandbox_clean)
    expected = sandbox_clean.get(f"/api/facturas/{invoice['id_factura']}/pdf/").content
    answer = app.test_client().get(
        f"/api/v1/invoices/{invoice['id_factura']}/pdf", headers=AUTH, buffered=False
    )
    assert answer.status_code == 200
    assert answer.is_streamed
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Length"] == str(len(expected))
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert b"".join(answer.response) == expected
    answer.close()


def test_pdf_refused_to_our_key_is_403_upstream_forbidden(make_app, sandbox_clean, invoice):
    app = make_app(WISPHUB_NET_HOST=sandbox_clean.url, WISPHUB_NET_KEY=RESTRICTED_KEY)
    client = app.test_client()
    answer = client.get(f"/api/v1/invoices/{invoice['id_factura']}/pdf", headers=AUTH)
    assert (answer.status_code, answer.json["code"]) == (403, "upstream_forbidden")
    assert "PDF permission" in answer.json["detail"]
    # The same key reads everything else: only this route says 403.
    assert client.get("/api/v1/clients/7/balance", headers=AUTH).status_code == 200


def test_a_refused_key_elsewhere_stays_502_upstream_auth(make_app, sandbox_clean):
    app = billing_app(make_app, sandbox_clean)
    sandbox_clean.fault("forbidden")
    answer = app.test_client().get("/api/v1/clients/7/balance", headers=AUTH)
    assert (answer.status_code, answer.json["code"]) == (502, "upstream_auth")


def test_pdf_of_an_unknown_invoice_is_404(make_app, sandbox_clean):
    app = billing_app(make_app, sandbox_clean)
    answer = app.test_client().get("/api/v1/invoices/1/pdf", headers=AUTH)
    assert (answer.status_code, answer.json["code"]) == (404, "invoice_not_found")


@pytest.mark.parametrize("path", ["/api/v1/invoices/0/pdf", "/api/v1/invoices/abc/pdf"])
def test_pdf_of_a_malformed_id_is_422(make_app, sandbox_clean, path):
    app = billing_app(make_app, sandbox_clean)
    answer = app.test_client().get(path, headers=AUTH)
    assert (answer.status_code, answer.json["errors"]) == (
        422,
        {"invoice_id": ["Must be a whole number between 1 and 2147483647."]},
    )


def test_pdf_bytes_are_never_logged(make_app, sandbox_clean, invoice, caplog):
    app = billing_app(make_app, sandbox_clean)
    with caplog.at_level(logging.DEBUG):
        body = app.test_client().get(f"/api/v1/invoices/{invoice['id_factura']}/pdf", headers=AUTH)
    assert body.status_code == 200
    assert "%PDF" not in caplog.text and "Factura No." not in caplog.text
