"""The sandbox's invoice PDF over real HTTP: a real PDF, and 403 for keys without permission."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sandbox import SandboxProcess
from wisphub_api.sandbox.options import DEMO_RESTRICTED_KEY

pytest_plugins = ["tests.support.sandbox"]

GENERIC_403 = {"detail": "Las credenciales de autenticación no se proveyeron."}


@pytest.fixture(scope="module")
def billed(sandbox: SandboxProcess) -> Iterator[SandboxProcess]:
    """Use the session sandbox, reset to its seed."""
    sandbox.reset()
    yield sandbox


def _an_invoice(sandbox: SandboxProcess) -> int:
    return int(sandbox.get("/api/clientes/7/saldo").json()["facturas"][0]["id_factura"])


def test_invoice_pdf_is_a_real_pdf(billed: SandboxProcess) -> None:
    invoice_id = _an_invoice(billed)
    response = billed.get(f"/api/facturas/{invoice_id}/pdf/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF-1.") and body.rstrip().endswith(b"%%EOF")
    xref = int(body.rsplit(b"startxref", 1)[1].split()[0])
    assert body[xref:].startswith(b"xref")
    assert str(invoice_id).encode() in body


def test_invoice_pdf_needs_the_pdf_permission(billed: SandboxProcess) -> None:
    restricted = {"Authorization": f"Api-Key {DEMO_RESTRICTED_KEY}"}
    path = f"/api/facturas/{_an_invoice(billed)}/pdf/"
    response = billed.get(path, headers=restricted)
    assert response.status_code == 403
    assert response.json() == GENERIC_403
    assert billed.get("/api/facturas/123/pdf/", headers=restricted).status_code == 403
    assert billed.get("/api/facturas/", headers=restricted).status_code == 200


def test_invoice_pdf_of_unknown_invoice_is_404_and_slashless_301(billed: SandboxProcess) -> None:
    assert billed.get("/api/facturas/123/pdf/").status_code == 404
    path = f"/api/facturas/{_an_invoice(billed)}/pdf"
    assert billed.get(path, allow_redirects=False).status_code == 301


def test_restricted_key_option_replaces_the_demo_keys() -> None:
    key = "Lmno5678.abcdefghijklmnopqrstuvwxyz987654"
    with SandboxProcess("--restricted-key", key, api_key=key, latency_ms="0", per_row_ms=0) as sbx:
        assert sbx.get("/api/clientes/?limit=1").status_code == 200
        assert sbx.get(f"/api/facturas/{_an_invoice(sbx)}/pdf/").status_code == 403
        demo = {"Authorization": f"Api-Key {DEMO_RESTRICTED_KEY}"}
        assert sbx.get("/api/clientes/?limit=1", headers=demo).status_code == 403
