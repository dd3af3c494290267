"""Spanish WispHub rows to English models, and English profile fields back to perfil keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wisphub_api.upstream.errors import UpstreamBadResponse
from wisphub_api.upstream.mapping import (
    client_from_row,
    iso_date,
    money,
    plan_detail_from_body,
    plan_from_row,
    plan_type_from_upstream,
    profile_payload,
)
from wisphub_api.upstream.models import CLIENT_PUBLIC_FIELDS, PlanSummary

FIXTURES = Path(__file__).parent / "fixtures"


def rows() -> dict[int, dict]:
    body = json.loads((FIXTURES / "clientes_page.json").read_text(encoding="utf-8"))
    return {row["id_servicio"]: row for row in body["results"]}


def test_client_from_row_full_row_maps_every_contract_field():
    client = client_from_row(rows()[1042])
    assert client.to_public() == {
        "service_id": 1042,
        "name": "MARIA GOMEZ",
        "document": "1098765432",
        "phone": "3001234567,3119876543",
        "address": "CALLE 10 # 5-20",
        "city": "POPAYAN",
        "locality": "BELLAVISTA",
        "service_status": "Activo",
        "payment_status": "Pendiente de Pago",
        "zone_id": 63850,
        "antenna_ip": "172.16.12.25",
        "cut_off_date": "2026-06-05",
        "outstanding_balance": 40000.0,
        "lan_interface": None,
        "internet_plan_name": "PLAN 10MB",
        "internet_plan_price": 40000.0,
        "technician_id": 6030718,
    }
    assert client.phones == ("3001234567", "3119876543")


def test_client_to_public_fields_follow_contract_order():
    assert tuple(client_from_row(rows()[7]).to_public()) == CLIENT_PUBLIC_FIELDS
    assert len(CLIENT_PUBLIC_FIELDS) == 17


def test_client_from_row_country_code_phone_kept_for_display_normalised_for_lookup():
    client = client_from_row(rows()[7])
    assert (client.phone, client.phones) == ("+57 300 765 4321", ("3007654321",))


def test_client_from_row_credit_balance_and_two_digit_day_date_are_converted():
    client = client_from_row(rows()[7])
    assert client.outstanding_balance == -5000.5
    assert client.cut_off_date == "2025-12-15"
    assert client.document is None
    assert client.lan_interface == "VLAN_INTERNET"


def test_client_from_row_empty_strings_and_null_objects_become_none():
    client = client_from_row(rows()[2088])
    public = client.to_public()
    empty = [name for name, value in public.items() if value is None]
    assert sorted(empty) == sorted(
        [
            "phone",
            "address",
            "city",
            "locality",
            "zone_id",
            "antenna_ip",
            "cut_off_date",
            "outstanding_balance",
            "internet_plan_name",
            "internet_plan_price",
            "technician_id",
        ]
    )
    assert client.phones == ()
    assert client.name == "JOSE ANTONIO PEÑA"


def test_client_from_row_missing_fields_and_bad_date_become_none():
    client = client_from_row(rows()[3150])
    assert client.name is None  # "" in the row
    assert client.city is None and client.payment_status is None  # keys absent
    assert client.cut_off_date is None  # 31/02/2026 does not exist
    assert client.outstanding_balance == 12500.0
    assert client.internet_plan_price == 0.0
    assert client.internet_plan_name is None and client.technician_id is None
    assert client.phones == ("3001234567",)


@pytest.mark.parametrize("missing", ["id_servicio", "nombre"])
def test_client_from_row_without_required_key_raises_bad_response(missing):
    row = rows()[1042]
    del row[missing]
    with pytest.raises(UpstreamBadResponse):
        client_from_row(row)


@pytest.mark.parametrize("service_id", [None, "", "abc", True, {"id": 1}, "12a"])
def test_client_from_row_invalid_service_id_raises_bad_response(service_id):
    row = rows()[1042] | {"id_servicio": service_id}
    with pytest.raises(UpstreamBadResponse):
        client_from_row(row)


def test_client_from_row_digit_string_service_id_becomes_int():
    assert client_from_row(rows()[1042] | {"id_servicio": "1042"}).service_id == 1042


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5/06/2026", "2026-06-05"),
        ("15/12/2025", "2025-12-15"),
        ("8/05/2026 00:00:00", "2026-05-08"),
        ("2026-06-05", "2026-06-05"),
        ("31/02/2026", None),
        ("5-06-2026", None),
        ("", None),
        (None, None),
        (20260605, None),
    ],
)
def test_iso_date_wisphub_dates_become_iso_or_none(value, expected):
    assert iso_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("65000.00", 65000.0),
        ("-1500.25", -1500.25),
        (" 0.00 ", 0.0),
        (40000, 40000.0),
        (12.5, 12.5),
        ("", None),
        (None, None),
        ("N/A", None),
        ("1,500.00", None),
        ("NaN", None),
        ("sNaN", None),
        (True, None),
    ],
)
def test_money_decimal_strings_and_numbers_become_float(value, expected):
    assert money(value) == expected


@pytest.mark.parametrize(
    ("tipo", "expected"),
    [
        ("PPPoE", "PPPoE"),
        ("PPPOE", "PPPoE"),
        (" pppoe ", "PPPoE"),
        ("SIMPLE QUEUE", "Simple Queue"),
        ("simple  queue", "Simple Queue"),
        ("Simple_Queue", "Simple Queue"),
        ("pcq", "PCQ"),
        (" Hotspot ", "Hotspot"),
        (None, ""),
    ],
)
def test_plan_type_from_upstream_any_casing_gives_canonical_name(tipo, expected):
    assert plan_type_from_upstream(tipo) == expected


def test_plan_from_row_without_id_raises_bad_response():
    with pytest.raises(UpstreamBadResponse):
        plan_from_row({"nombre": "PLAN X", "tipo": "PPPoE"})


def test_plan_detail_from_body_price_to_float_speeds_kept_as_text():
    plan = PlanSummary(plan_id=5, name="PLAN 20MB", type="Simple Queue")
    body = {"nombre": "PLAN 20MB", "precio": "40000.00", "bajada": 20, "subida": "5M"}
    detail = plan_detail_from_body(plan, body)
    assert (detail.price, detail.download_speed, detail.upload_speed) == (40000.0, "20", "5M")
    assert detail.description is None


def test_plan_detail_from_body_not_an_object_raises_bad_response():
    with pytest.raises(UpstreamBadResponse):
        plan_detail_from_body(PlanSummary(5, "P", "PPPoE"), ["precio"])


def test_profile_payload_english_fields_map_to_perfil_keys():
    fields = {
        "name": " MARIA ",
        "last_name": "GOMEZ",
        "document": "1098765432",
        "address": "CALLE 10 # 5-20",
        "locality": "BELLAVISTA",
        "city": "POPAYAN",
        "phone": "3001234567",
        "balance": 12345,
    }
    assert profile_payload(fields) == {
        "nombre": "MARIA",
        "apellidos": "GOMEZ",
        "cedula": "1098765432",
        "direccion": "CALLE 10 # 5-20",
        "localidad": "BELLAVISTA",
        "ciudad": "POPAYAN",
        "telefono": "3001234567",
        "saldo": "12345.00",
    }


@pytest.mark.parametrize(
    ("balance", "expected"), [(0, "0.00"), (-5000.5, "-5000.50"), ("40000", "40000.00")]
)
def test_profile_payload_balance_becomes_two_decimal_string(balance, expected):
    assert profile_payload({"balance": balance}) == {"saldo": expected}


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"email": "x@example.com"},
        {"balance": "abc"},
        {"balance": float("inf")},
        {"balance": True},
        {"balance": None},
        {"name": 12},
    ],
)
def test_profile_payload_invalid_fields_raise_value_error(fields):
    with pytest.raises(ValueError):
        profile_payload(fields)


def test_profile_payload_none_text_clears_the_field():
    assert profile_payload({"address": None}) == {"direccion": ""}
