"""Invoice rows, balances and payment methods become English values with Decimal money."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from tests.support.upstream_mocks import fixture
from wisphub_api.upstream.errors import UpstreamBadResponse
from wisphub_api.upstream.invoices import (
    balance_from_body,
    decimal_money,
    invoice_from_row,
    invoice_status,
    parse_period,
    payment_method_from_row,
)


def row(**changes):
    body = copy.deepcopy(fixture("factura_row.json"))
    body.update(changes)
    return body


def test_invoice_row_maps_to_the_contracts_fields_only():
    invoice = invoice_from_row(row())
    assert invoice.invoice_id == 32200007
    assert invoice.service_ids == (7,)
    assert (invoice.issued_on, invoice.due_on) == (date(2026, 11, 26), date(2026, 12, 11))
    assert (invoice.total, invoice.balance) == (Decimal("40000.00"), Decimal("40000.00"))
    assert invoice.status == "pending"
    assert invoice.period == (date(2026, 11, 26), date(2026, 12, 25))
    assert "1019473144" not in repr(invoice) and "BELLAVISTA" not in repr(invoice)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (40000.0, "40000.00"),
        (12345.67, "12345.67"),
        (0.1, "0.10"),
        ("65000.00", "65000.00"),
        (-1500, "-1500.00"),
        (99999999.99, "99999999.99"),
    ],
)
def test_money_is_exact_to_the_cent(value, expected):
    assert decimal_money(value, "x") == Decimal(expected)
    assert str(decimal_money(value, "x")) == expected


@pytest.mark.parametrize("value", [None, True, "", "abc", float("nan"), float("inf"), [], {}])
def test_money_that_is_no_amount_is_refused(value):
    with pytest.raises(UpstreamBadResponse):
        decimal_money(value, "x")


@pytest.mark.parametrize(
    ("estado", "status"),
    [
        ("Pendiente de Pago", "pending"),
        ("Pagada", "paid"),
        ("Cancelada", "cancelled"),
        ("En Revisión", "in_review"),
        ("EN REVISION", "in_review"),
        ("Transferida", "cancelled"),
    ],
)
def test_invoice_status_folds_case_and_accents(estado, status):
    assert invoice_status(estado) == status


@pytest.mark.parametrize("estado", ["Vencida", "", None, 1])
def test_unknown_invoice_status_refuses_the_row(estado):
    with pytest.raises(UpstreamBadResponse):
        invoice_from_row(row(estado=estado))


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("Periodo del 1/Abr./2026 al 30/Abr./2026", (date(2026, 4, 1), date(2026, 4, 30))),
        (
            "Internet\nPeriodo del 15/Dic./2025 al 14/Ene./2026",
            (date(2025, 12, 15), date(2026, 1, 14)),
        ),
        ("periodo del 1/Sept/2026 al 30/Sep/2026", (date(2026, 9, 1), date(2026, 9, 30))),
        ("Periodo del 31/Feb./2026 al 30/Mar./2026", None),
        ("Periodo del 1/Xyz./2026 al 30/Abr./2026", None),
        ("Servicio de Internet", None),
        (None, None),
    ],
)
def test_period_is_read_from_the_article_description(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize(
    "changes",
    [
        {"id_factura": None},
        {"id_factura": "32200007"},
        {"id_factura": True},
        {"total": None},
        {"saldo": "x"},
    ],
)
def test_invoice_rows_without_id_or_amounts_are_refused(changes):
    with pytest.raises(UpstreamBadResponse):
        invoice_from_row(row(**changes))


def test_invoice_row_without_articles_bills_no_service():
    invoice = invoice_from_row(row(articulos=None))
    assert invoice.service_ids == () and invoice.period is None
    assert not invoice.bills(7)


def test_balance_reads_saldo_and_its_invoices():
    balance = balance_from_body({"nombre": "X", "saldo": 40000.0, "facturas": [row()]})
    assert balance.amount == Decimal("40000.00")
    assert balance.unpaid is not None and [i.invoice_id for i in balance.unpaid] == [32200007]


def test_balance_of_a_tenant_without_facturas_says_none():
    balance = balance_from_body({"saldo": "-2500.50"})
    assert (balance.amount, balance.unpaid) == (Decimal("-2500.50"), None)


@pytest.mark.parametrize("body", [[], {"nombre": "X"}, {"saldo": 1, "facturas": {}}])
def test_balance_without_saldo_is_refused(body):
    with pytest.raises(UpstreamBadResponse):
        balance_from_body(body)


def test_payment_method_rows_keep_id_and_name():
    method = payment_method_from_row({"id": 7, "nombre": " Efectivo "})
    assert (method.payment_method_id, method.name) == (7, "Efectivo")
    with pytest.raises(UpstreamBadResponse):
        payment_method_from_row({"nombre": "Efectivo"})
