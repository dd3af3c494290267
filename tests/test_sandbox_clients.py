"""The sandbox's `/api/clientes/` over real HTTP: paging, filters, rows, detail and saldo."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.sandbox import SandboxProcess

pytest_plugins = ["tests.support.sandbox"]

MONEY = re.compile(r"-?\d+\.\d{2}")
CUT_DATE = re.compile(r"[1-9]\d?/\d{2}/\d{4}")
STAMP = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}")
MOBILE = re.compile(r"3\d{9}")


@pytest.fixture(scope="module")
def all_rows(sandbox: SandboxProcess) -> list[dict[str, Any]]:
    """Read every client of the pristine dataset, 300 at a time."""
    sandbox.reset()
    rows: list[dict[str, Any]] = []
    for offset in range(0, 1500, 300):
        rows += sandbox.get(f"/api/clientes/?limit=300&offset={offset}").json()["results"]
    return rows


def _list(sandbox: SandboxProcess, query: str) -> dict[str, Any]:
    response = sandbox.get(f"/api/clientes/?{query}")
    assert response.status_code == 200
    return response.json()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_clients_default_page_has_drf_envelope_and_default_limit(sandbox: SandboxProcess) -> None:
    body = _list(sandbox, "")
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 1500
    assert len(body["results"]) == 50
    assert body["previous"] is None


def test_clients_limit_offset_pages_are_contiguous(all_rows: list[dict[str, Any]]) -> None:
    assert [row["id_servicio"] for row in all_rows] == list(range(1, 1501))


def test_clients_limit_above_max_is_clamped(sandbox: SandboxProcess) -> None:
    body = _list(sandbox, "limit=1000")
    assert len(body["results"]) == 300
    assert _query(body["next"]) == {"limit": ["300"], "offset": ["300"]}


@pytest.mark.parametrize("limit", ["0", "-5", "abc"])
def test_clients_invalid_limit_uses_default(sandbox: SandboxProcess, limit: str) -> None:
    assert len(_list(sandbox, f"limit={limit}")["results"]) == 50


def test_clients_page_parameter_is_ignored(sandbox: SandboxProcess) -> None:
    first = _list(sandbox, "limit=10")["results"]
    assert _list(sandbox, "limit=10&page=3")["results"] == first


def test_clients_next_and_previous_are_absolute_limit_offset_urls(sandbox: SandboxProcess) -> None:
    body = _list(sandbox, "limit=100&offset=200&zona=2")
    assert body["next"].startswith(f"{sandbox.url}/api/clientes/?")
    assert _query(body["next"]) == {"limit": ["100"], "offset": ["300"], "zona": ["2"]}
    assert _query(body["previous"]) == {"limit": ["100"], "offset": ["100"], "zona": ["2"]}


def test_clients_previous_of_second_page_drops_offset(sandbox: SandboxProcess) -> None:
    body = _list(sandbox, "limit=50&offset=50")
    assert _query(body["previous"]) == {"limit": ["50"]}


def test_clients_last_page_has_null_next(sandbox: SandboxProcess) -> None:
    body = _list(sandbox, "limit=300&offset=1200")
    assert body["next"] is None
    assert len(body["results"]) == 300


def test_clients_offset_past_end_is_empty(sandbox: SandboxProcess) -> None:
    body = _list(sandbox, "offset=5000")
    assert body["count"] == 1500
    assert body["results"] == []


def _ids(sandbox: SandboxProcess, query: str) -> list[int]:
    body = _list(sandbox, f"{query}&limit=300")
    assert body["count"] == len(body["results"])
    return [row["id_servicio"] for row in body["results"]]


def _first(rows: list[dict[str, Any]], test: Any) -> dict[str, Any]:
    return next(row for row in rows if test(row))


@pytest.mark.parametrize("field", ["cedula", "telefono", "usuario", "ciudad", "localidad"])
def test_clients_exact_filter_matches_equal_field(
    sandbox: SandboxProcess, all_rows: list[dict[str, Any]], field: str
) -> None:
    value = _first(all_rows, lambda row: row[field])[field]
    expected = [row["id_servicio"] for row in all_rows if row[field] == value]
    assert _ids(sandbox, urlencode({field: value})) == expected


def test_clients_telefono_filter_is_exact_string(
    sandbox: SandboxProcess, all_rows: list[dict[str, Any]]
) -> None:
    prefixed = _first(all_rows, lambda row: row["telefono"].startswith("+57 "))
    bare = prefixed["telefono"].removeprefix("+57 ")
    assert _ids(sandbox, f"telefono={bare}") == []
    assert _ids(sandbox, "telefono=%2B57%20" + bare) == [prefixed["id_servicio"]]


def test_clients_id_servicio_filter_finds_one(sandbox: SandboxProcess) -> None:
    assert _ids(sandbox, "id_servicio=321") == [321]


def test_clients_nombre_filter_ignores_case_and_accents(sandbox: SandboxProcess) -> None:
    assert 7 in _ids(sandbox, "nombre=esperanza benitez")
    assert 7 in _ids(sandbox, "nombre=BENÍTEZ")


def test_clients_nombre_filter_is_partial(
    sandbox: SandboxProcess, all_rows: list[dict[str, Any]]
) -> None:
    def folded(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

    expected = [row["id_servicio"] for row in all_rows if "munoz" in folded(row["nombre"])]
    assert expected
    assert _ids(sandbox, "nombre=uÑo") != []
    assert _ids(sandbox, "nombre=munoz") == expected
    assert _ids(sandbox, "nombre__contains=MUÑOZ") == expected


def test_clients_telefono_contains_finds_second_number(
    sandbox: SandboxProcess, all_rows: list[dict[str, Any]]
) -> None:
    row = _first(all_rows, lambda candidate: "," in candidate["telefono"])
    second = row["telefono"].split(",")[1]
    assert row["id_servicio"] in _ids(sandbox, f"telefono__contains={second[2:]}")
    assert _ids(sandbox, f"telefono={second}") == []


@pytest.mark.parametrize(
    ("code", "estado"), [("1", "Activo"), ("2", "Suspendido"), ("3", "Cancelado"), ("4", "Gratis")]
)
def test_clients_estado_code_filters_state(
    sandbox: SandboxProcess, all_rows: list[dict[str, Any]], code: str, estado: str
) -> None:
    expected = [row["id_servicio"] for row in all_rows if row["estado"] == estado]
    body = _list(sandbox, f"estado={code}&limit=1")
    assert body["count"] == len(expected) > 0


def test_clients_estado_text_matches_nothing(sandbox: SandboxProcess) -> None:
    assert _list(sandbox, "estado=Activo")["count"] == 0


def test_clients_plan_filter_uses_plan_id(
    sandbox: SandboxProcess, all_rows: list[dict[str, Any]]
) -> None:
    plan_id = all_rows[0]["plan_internet"]["id"]
    expected = [row["id_servicio"] for row in all_rows if row["plan_internet"]["id"] == plan_id]
    assert _list(sandbox, f"plan_internet={plan_id}&limit=1")["count"] == len(expected)


@pytest.mark.parametrize(
    "query",
    [
        "zona=1",
        "estado_facturas=Vencidas",
        "saldo=0",
        "search=maria",
        "fecha_instalacion=1/01/2024",
        "cedula=",
    ],
)
def test_clients_unknown_or_empty_filter_is_ignored(sandbox: SandboxProcess, query: str) -> None:
    assert _list(sandbox, query)["count"] == 1500


def test_clients_filters_combine(sandbox: SandboxProcess, all_rows: list[dict[str, Any]]) -> None:
    expected = [
        row["id_servicio"]
        for row in all_rows
        if row["ciudad"] == "POPAYAN" and row["estado"] == "Suspendido"
    ]
    assert _ids(sandbox, "ciudad=POPAYAN&estado=2") == expected


def test_clients_filter_without_match_is_empty_200(sandbox: SandboxProcess) -> None:
    body = _list(sandbox, "cedula=000")
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_clients_rows_have_upstream_types(all_rows: list[dict[str, Any]]) -> None:
    for row in all_rows:
        assert type(row["id_servicio"]) is int
        assert all(MONEY.fullmatch(row[key]) for key in ("saldo", "precio_plan", "descuento"))
        assert row["costo_instalacion"] == "" or MONEY.fullmatch(row["costo_instalacion"])
        assert CUT_DATE.fullmatch(row["fecha_corte"])
        assert STAMP.fullmatch(row["fecha_instalacion"])
        assert row["ip"].startswith("172.16.")
        assert row["ip_local"] is None and row["fecha_cancelacion"] is None
        assert row["interfaz_lan"] in ("VLAN_INTERNET", "ether1", "")
        assert isinstance(row["notificacion_sms"], bool)


def test_clients_rows_have_nested_objects(all_rows: list[dict[str, Any]]) -> None:
    for row in all_rows:
        assert set(row["plan_internet"]) == {"id", "nombre"}
        assert set(row["zona"]) == {"id", "nombre"}
        assert set(row["router"]) == {"id", "nombre", "falla_general", "falla_general_descripcion"}
        assert row["sectorial"] is None or "falla_general" in row["sectorial"]
        assert row["tecnico"]["nombre"] == ""
    assert len({row["zona"]["id"] for row in all_rows}) == 5


def test_clients_states_are_mostly_active(all_rows: list[dict[str, Any]]) -> None:
    estados = Counter(row["estado"] for row in all_rows)
    assert set(estados) == {"Activo", "Suspendido", "Cancelado", "Gratis"}
    assert estados["Activo"] > len(all_rows) / 2
    assert {row["estado_facturas"] for row in all_rows} == {
        "Pagadas",
        "Pendiente de Pago",
        "Vencidas",
    }


def test_clients_phones_come_in_every_observed_shape(all_rows: list[dict[str, Any]]) -> None:
    phones = [row["telefono"] for row in all_rows]
    assert "" in phones
    pairs = [phone.split(",") for phone in phones if "," in phone]
    assert pairs and all(MOBILE.fullmatch(number) for pair in pairs for number in pair)
    assert any(phone.startswith("+57 ") for phone in phones)
    assert any("-" in phone or phone.count(" ") == 2 for phone in phones)
    assert sum(bool(MOBILE.fullmatch(phone)) for phone in phones) > len(phones) / 2


def test_clients_identity_fields_are_realistic(all_rows: list[dict[str, Any]]) -> None:
    assert "" in {row["cedula"] for row in all_rows}
    assert all(row["cedula"].isdigit() for row in all_rows if row["cedula"])
    usuarios = [row["usuario"] for row in all_rows]
    assert None in usuarios
    assert all(u.endswith("@isp-demo") for u in usuarios if u is not None)
    names = [row["nombre"] for row in all_rows]
    assert any(name.isupper() for name in names) and any(name.istitle() for name in names)
    assert any(any(c in name for c in "ÁÉÍÓÚÑáéíóúñ") for name in names)


def test_clients_include_families_sharing_surname_and_address(
    all_rows: list[dict[str, Any]],
) -> None:
    homes = Counter(
        (row["nombre"].split()[-1].upper(), row["direccion"], row["ciudad"]) for row in all_rows
    )
    assert sum(1 for members in homes.values() if members > 1) >= 3


def test_clients_client_7_is_esperanza_benitez(sandbox: SandboxProcess) -> None:
    row = _list(sandbox, "id_servicio=7")["results"][0]
    assert (row["nombre"], row["direccion"], row["precio_plan"]) == (
        "ESPERANZA BENÍTEZ",
        "BELLAVISTA",
        "40000.00",
    )
    plan = sandbox.get(f"/api/plan-internet/pppoe/{row['plan_internet']['id']}/").json()
    assert plan["precio"] == "40000.00"


def test_client_detail_has_detail_field_set(sandbox: SandboxProcess) -> None:
    listed = _list(sandbox, "id_servicio=12")["results"][0]
    detail = sandbox.get("/api/clientes/12/").json()
    expected = set(listed) - {"estado_facturas", "saldo", "fecha_corte"} | {"facturas_pagadas"}
    assert set(detail) == expected
    assert detail["usuario"] is None
    assert detail["nombre"] == listed["nombre"]


def test_client_detail_absent_is_404(sandbox: SandboxProcess) -> None:
    response = sandbox.get("/api/clientes/1501/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_client_balance_is_a_number(sandbox: SandboxProcess) -> None:
    listed = _list(sandbox, "id_servicio=7")["results"][0]
    body = sandbox.get("/api/clientes/7/saldo").json()
    assert list(body) == ["nombre", "saldo", "facturas"]
    assert (body["nombre"], body["saldo"]) == (listed["nombre"], float(listed["saldo"]))
    assert sum(invoice["saldo"] for invoice in body["facturas"]) == body["saldo"]
