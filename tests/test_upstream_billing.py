"""The billing endpoints of WispHubClient against a fake WispHub Net (responses)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import requests
import responses
from responses import matchers
from werkzeug.formparser import parse_form_data

from tests.support.upstream_mocks import BASE, fixture
from wisphub_api.upstream.billing import _rest
from wisphub_api.upstream.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamTimeout,
)
from wisphub_api.upstream.invoices import InvoicePdfForbidden, UpstreamRefused
from wisphub_api.upstream.multipart import MultipartBody

FACTURAS = f"{BASE}/api/facturas/"
PDF = f"{BASE}/api/facturas/32200007/pdf/"
PROMISE = f"{BASE}/api/promesa-pago/"
REPORT = f"{BASE}/api/facturas/reportar-pago/32200007/"
PDF_BYTES = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF\n"


def envelope(rows, count=None):
    return {
        "count": len(rows) if count is None else count,
        "next": None,
        "previous": None,
        "results": rows,
    }


def test_list_invoices_sends_the_window_and_the_usuario(mock, upstream):
    query = {
        "cliente": "esperanza.benitez@isp-demo",
        "fecha_emision__range_0": "2026-09-02",
        "fecha_emision__range_1": "2026-12-02",
        "limit": "300",
        "offset": "0",
    }
    mock.get(
        FACTURAS,
        json=envelope([fixture("factura_row.json")]),
        match=[matchers.query_param_matcher(query)],
    )
    invoices = upstream.list_invoices(
        "esperanza.benitez@isp-demo", date(2026, 9, 2), date(2026, 12, 2)
    )
    assert [i.invoice_id for i in invoices] == [32200007]


def test_list_invoices_reads_every_page(mock, upstream):
    upstream.page_size = 2
    rows = [dict(fixture("factura_row.json"), id_factura=n) for n in (1, 2, 3)]
    for offset in (0, 2):
        match = [matchers.query_param_matcher({"offset": str(offset)}, strict_match=False)]
        mock.get(FACTURAS, json=envelope(rows[offset : offset + 2], 3), match=match)
    invoices = upstream.list_invoices("u@isp", date(2026, 1, 1), date(2026, 3, 1))
    assert [i.invoice_id for i in invoices] == [1, 2, 3]


def test_list_invoices_refuses_a_short_listing(mock, upstream):
    mock.get(FACTURAS, json=envelope([fixture("factura_row.json")], 5))
    with pytest.raises(UpstreamBadResponse):
        upstream.list_invoices("u@isp", date(2026, 1, 1), date(2026, 3, 1))


def test_balance_reads_the_canonical_path_without_slash(mock, upstream):
    body = {"nombre": "X", "saldo": 40000.0, "facturas": [fixture("factura_row.json")]}
    mock.get(f"{BASE}/api/clientes/7/saldo", json=body)
    balance = upstream.get_balance(7)
    assert balance.amount == Decimal("40000.00") and len(balance.unpaid or ()) == 1


def test_payment_methods_are_read_as_a_list(mock, upstream):
    mock.get(f"{BASE}/api/formas-de-pago/", json=envelope([{"id": 7, "nombre": "Efectivo"}]))
    assert [(m.payment_method_id, m.name) for m in upstream.list_payment_methods()] == [
        (7, "Efectivo")
    ]


def test_invoice_pdf_is_streamed_in_chunks_and_asks_for_a_pdf(mock, upstream):
    mock.get(
        PDF,
        body=PDF_BYTES,
        content_type="application/pdf",
        match=[matchers.header_matcher({"Accept": "application/pdf, */*;q=0.5"})],
    )
    document = upstream.invoice_pdf(32200007)
    chunks = list(document.chunks)
    document.close()
    assert b"".join(chunks) == PDF_BYTES
    assert len(chunks) > 1 and max(map(len, chunks)) <= 64 * 1024


def test_invoice_pdf_refused_to_the_key_is_its_own_error(mock, upstream):
    mock.get(
        PDF, status=403, json={"detail": "Las credenciales de autenticación no se proveyeron."}
    )
    with pytest.raises(InvoicePdfForbidden) as caught:
        upstream.invoice_pdf(32200007)
    assert isinstance(caught.value, UpstreamAuthError)


def test_invoice_pdf_that_is_no_pdf_is_refused(mock, upstream):
    mock.get(PDF, body=b"<html>login</html>", content_type="text/html")
    with pytest.raises(UpstreamBadResponse):
        upstream.invoice_pdf(32200007)


def test_promise_is_sent_once_with_reactivation(mock, upstream):
    body = {"id_factura": 32200007, "fecha_limite": "2026-12-05", "accion": 1}
    mock.post(
        PROMISE, status=201, json={"id": 1, **body}, match=[matchers.json_params_matcher(body)]
    )
    upstream.create_promise(32200007, date(2026, 12, 5))
    assert len(mock.calls) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_promise_is_never_retried(mock, upstream, status):
    mock.post(PROMISE, status=status)
    with pytest.raises(Exception):  # noqa: B017 - any typed upstream error
        upstream.create_promise(32200007, date(2026, 12, 5))
    assert len(mock.calls) == 1


def test_promise_refused_with_400_is_upstream_refused(mock, upstream):
    mock.post(PROMISE, status=400, json={"error": "La factura ya está pagada."})
    with pytest.raises(UpstreamRefused):
        upstream.create_promise(32200007, date(2026, 12, 5))


def test_promise_timeout_is_a_timeout_that_may_have_been_sent(mock, upstream):
    mock.post(PROMISE, body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(UpstreamTimeout) as caught:
        upstream.create_promise(32200007, date(2026, 12, 5))
    assert caught.value.sent is True


def _parsed(request):
    body = b"".join(request.body)
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": request.headers["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    _, form, files = parse_form_data(environ)
    return body, form, files


def test_payment_report_streams_a_multipart_body_of_known_length(mock, upstream):
    receipt = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1000
    seen = {}

    def answer(request):
        seen["length"] = request.headers.get("Content-Length")
        seen["chunked"] = request.headers.get("Transfer-Encoding")
        seen["body"], seen["form"], seen["files"] = _parsed(request)
        return 201, {}, '{"messages": ["ok"]}'

    mock.add_callback(responses.POST, REPORT, callback=answer)
    fields = {"forma_pago": "9", "fecha_pago": "2026-12-01 10:00", "referencia": "ABC-1"}
    upstream.report_payment(
        32200007, fields, io.BytesIO(receipt), filename="receipt.png", content_type="image/png"
    )
    assert seen["chunked"] is None and int(seen["length"]) == len(seen["body"])
    assert dict(seen["form"]) == {**fields, "nombre_user": "WispHub API"}
    upload = seen["files"]["comprobante_pago_archivo"]
    content = upload.read()
    upload.close()
    assert (upload.filename, upload.mimetype, content) == ("receipt.png", "image/png", receipt)


def test_multipart_body_yields_the_file_in_chunks():
    receipt = io.BytesIO(b"%PDF-" + b"1" * 300_000)
    body = MultipartBody(
        {"a": "b"}, file_field="f", filename="r.pdf", content_type="application/pdf", stream=receipt
    )
    parts = list(body)
    assert sum(map(len, parts)) == len(body)
    assert max(map(len, parts[1:-1])) <= 64 * 1024


@pytest.mark.parametrize(("status", "error"), [(400, UpstreamRefused), (403, UpstreamAuthError)])
def test_payment_report_refusals_are_typed(mock, upstream, status, error):
    mock.post(REPORT, status=status, json={"error": "no"})
    with pytest.raises(error):
        upstream.report_payment(
            32200007, {}, io.BytesIO(b"%PDF-1"), filename="r.pdf", content_type="application/pdf"
        )


def test_payment_report_429_pauses_every_later_call(mock, upstream):
    mock.post(REPORT, status=429, headers={"Retry-After": "30"})
    with pytest.raises(UpstreamRateLimited) as caught:
        upstream.report_payment(
            32200007, {}, io.BytesIO(b"%PDF-1"), filename="r.pdf", content_type="application/pdf"
        )
    assert caught.value.sent is False
    with pytest.raises(UpstreamRateLimited):  # refused here, nothing sent
        upstream.get_balance(7)
    assert len(mock.calls) == 1


def test_invoice_pdf_cut_short_is_refused_when_it_came_whole(mock, upstream):
    mock.get(
        PDF, body=PDF_BYTES[:500], content_type="application/pdf", headers={"Content-Length": "500"}
    )
    with pytest.raises(UpstreamBadResponse):
        upstream.invoice_pdf(32200007)


def test_invoice_pdf_broken_off_halfway_ends_short_without_raising(caplog):
    def chunks():
        yield b"2" * 10
        raise requests.exceptions.ChunkedEncodingError("connection broken")

    assert b"".join(_rest(b"1" * 10, chunks())) == b"1" * 10 + b"2" * 10
    assert "broke off: ChunkedEncodingError" in caplog.text
