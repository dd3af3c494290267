"""Client routes over a real sandbox: list, lookups, alias, update."""

from __future__ import annotations

import gzip

import pytest

from tests.conftest import AUTH
from tests.support.upstream_data import (
    first_row,
    phone_owner_count,
    raw_clients,
    unique_document_row,
)
from wisphub_api.schemas.clients import ClientSchema
from wisphub_api.upstream.phones import split_phones

CONTRACT_FIELDS = [
    "service_id",
    "name",
    "document",
    "phone",
    "address",
    "city",
    "locality",
    "service_status",
    "payment_status",
    "zone_id",
    "antenna_ip",
    "cut_off_date",
    "outstanding_balance",
    "lan_interface",
    "internet_plan_name",
    "internet_plan_price",
    "technician_id",
]


def test_list_clients_returns_every_client_in_contract_shape(api, sandbox):
    response = api.get("/api/v1/clients/", headers=AUTH)
    assert response.status_code == 200
    body = response.json
    assert len(body) == len(raw_clients(sandbox))
    assert list(body[0]) == CONTRACT_FIELDS
    assert ClientSchema(many=True).validate(body) == {}
    assert len({c["service_id"] for c in body}) == len(body)


def test_list_clients_converts_upstream_types(api, sandbox):
    rows = {r["id_servicio"]: r for r in raw_clients(sandbox)}
    body = {c["service_id"]: c for c in api.get("/api/v1/clients/", headers=AUTH).json}
    client = body[7]
    assert client["name"].upper().startswith("ESPERANZA")
    assert client["address"] == "BELLAVISTA"
    assert client["internet_plan_price"] == 40000.0
    for service_id, row in rows.items():
        day, month, year = row["fecha_corte"].split("/") if row["fecha_corte"] else ("", "", "")
        expected_date = f"{year}-{int(month):02d}-{int(day):02d}" if day else None
        assert body[service_id]["cut_off_date"] == expected_date
        assert body[service_id]["outstanding_balance"] == float(row["saldo"])
        assert body[service_id]["document"] == (row["cedula"] or None)


def test_list_clients_second_call_is_a_cache_hit(api):
    first = api.get("/api/v1/clients/", headers=AUTH)
    second = api.get("/api/v1/clients/", headers=AUTH)
    assert first.headers["X-Cache"] == "MISS"
    assert second.headers["X-Cache"] == "HIT"
    assert first.get_data() == second.get_data()


def test_list_clients_with_matching_etag_is_304(api):
    first = api.get("/api/v1/clients/", headers=AUTH)
    etag = first.headers["ETag"]
    again = api.get("/api/v1/clients/", headers={**AUTH, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = api.get("/api/v1/clients/", headers={**AUTH, "If-None-Match": '"stale"'})
    assert other.status_code == 200


def test_list_clients_refuses_query_parameters(api):
    response = api.get("/api/v1/clients/?page=2", headers=AUTH)
    assert response.status_code == 422
    assert response.json["errors"] == {"page": ["Unknown field."]}


def test_by_document_finds_the_owner(api, sandbox):
    row = unique_document_row(raw_clients(sandbox))
    response = api.get(f"/api/v1/clients/by-document/{row['cedula']}", headers=AUTH)
    assert response.status_code == 200
    assert response.json["service_id"] == row["id_servicio"]


def test_by_document_ignores_dots_and_spaces(api, sandbox):
    row = unique_document_row(raw_clients(sandbox))
    document = row["cedula"]
    dotted = f"{document[:-6]}.{document[-6:-3]}.{document[-3:]}"
    response = api.get(f"/api/v1/clients/by-document/{dotted}", headers=AUTH)
    assert response.status_code == 200
    assert response.json["service_id"] == row["id_servicio"]


def test_by_document_unknown_is_404(api):
    response = api.get("/api/v1/clients/by-document/000000000001", headers=AUTH)
    assert response.status_code == 404
    assert response.json["code"] == "client_not_found"
    assert "000000000001" not in response.json["detail"]


@pytest.mark.parametrize(
    "spell",
    [
        lambda n: n,
        lambda n: f"+57 {n[:3]} {n[3:6]} {n[6:]}",
        lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
        lambda n: f"57{n}",
    ],
)
def test_by_phone_accepts_the_usual_spellings(api, sandbox, spell):
    rows = raw_clients(sandbox)
    row = first_row(
        rows,
        lambda r: (
            len(split_phones(r["telefono"])) == 1
            and phone_owner_count(rows, split_phones(r["telefono"])[0]) == 1
        ),
    )
    number = split_phones(row["telefono"])[0]
    response = api.get(f"/api/v1/clients/by-phone/{spell(number)}", headers=AUTH)
    assert response.status_code == 200
    assert response.json["service_id"] == row["id_servicio"]


def test_by_phone_finds_a_client_by_its_second_number(api, sandbox):
    rows = raw_clients(sandbox)
    row = first_row(
        rows,
        lambda r: (
            len(split_phones(r["telefono"])) == 2
            and phone_owner_count(rows, split_phones(r["telefono"])[1]) == 1
        ),
    )
    second = split_phones(row["telefono"])[1]
    response = api.get(f"/api/v1/clients/by-phone/{second}", headers=AUTH)
    assert response.status_code == 200
    assert response.json["service_id"] == row["id_servicio"]
    assert "," in response.json["phone"]


@pytest.mark.parametrize("phone", ["3999999999", "12", "not-a-phone"])
def test_by_phone_unknown_or_invalid_is_404(api, phone):
    response = api.get(f"/api/v1/clients/by-phone/{phone}", headers=AUTH)
    assert response.status_code == 404
    assert response.json["code"] == "client_not_found"


def test_by_service_id_finds_client_7(api):
    response = api.get("/api/v1/clients/by-service-id/7", headers=AUTH)
    assert response.status_code == 200
    assert response.json["address"] == "BELLAVISTA"


def test_by_service_id_unknown_is_404(api):
    response = api.get("/api/v1/clients/by-service-id/999999", headers=AUTH)
    assert response.status_code == 404
    assert response.json["code"] == "client_not_found"


@pytest.mark.parametrize("path", ["abc", "-1", "7.5", "0", "\uff17", "99999999999"])
def test_by_service_id_malformed_says_what_is_wrong(api, path):
    response = api.get(f"/api/v1/clients/by-service-id/{path}", headers=AUTH)
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert "service_id" in response.json["errors"]
    assert "service_id" in response.json["detail"]


@pytest.mark.parametrize(
    "path",
    ["/clients/", "/clients/by-service-id/7", "/clients/search?q=Esperanza", "/internet-plans/"],
)
def test_api_alias_answers_like_v1(api, path):
    versioned = api.get("/api/v1" + path, headers=AUTH)
    alias = api.get("/api" + path, headers=AUTH)
    assert versioned.status_code == alias.status_code == 200
    assert versioned.json == alias.json


def test_update_client_writes_upstream_and_next_read_shows_it(api, sandbox):
    api.get("/api/v1/clients/", headers=AUTH)  # warm
    response = api.put(
        "/api/v1/clients/12", json={"address": "VEREDA LA CUMBRE", "city": "TIMBIO"}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.json["address"] == "VEREDA LA CUMBRE"
    upstream_row = first_row(raw_clients(sandbox), lambda r: r["id_servicio"] == 12)
    assert upstream_row["direccion"] == "VEREDA LA CUMBRE"
    listed = {c["service_id"]: c for c in api.get("/api/v1/clients/", headers=AUTH).json}
    assert listed[12]["address"] == "VEREDA LA CUMBRE"
    assert listed[12]["city"] == "TIMBIO"
    found = api.get("/api/v1/clients/by-service-id/12", headers=AUTH).json
    assert found["address"] == "VEREDA LA CUMBRE"


def test_update_client_new_phone_is_found_by_phone(api):
    api.get("/api/v1/clients/", headers=AUTH)
    assert (
        api.put("/api/v1/clients/12", json={"phone": "3215550101"}, headers=AUTH).status_code == 200
    )
    response = api.get("/api/v1/clients/by-phone/+57 321 555 0101", headers=AUTH)
    assert response.status_code == 200
    assert response.json["service_id"] == 12


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "_schema"),
        ({"nickname": "x"}, 422, "nickname"),
        ({"balance": "lots"}, 422, "balance"),
        ({"balance": True}, 422, "balance"),
        ({"name": ""}, 422, "name"),
        ({"name": "   "}, 422, "name"),
        ({"phone": "call me"}, 422, "phone"),
        ({"address": "A" * 201}, 422, "address"),
    ],
)
def test_update_client_invalid_body_is_refused(api, body, status, field):
    response = api.put("/api/v1/clients/12", json=body, headers=AUTH)
    assert response.status_code == status
    assert field in response.json["errors"]


def test_update_client_unknown_service_is_404(api):
    response = api.put("/api/v1/clients/999999", json={"city": "CALI"}, headers=AUTH)
    assert response.status_code == 404


def test_update_client_upstream_failure_changes_nothing(api, sandbox):
    before = api.get("/api/v1/clients/by-service-id/12", headers=AUTH).json
    sandbox.fault("error", path="/api/clientes/12/perfil/")
    response = api.put("/api/v1/clients/12", json={"city": "CALI"}, headers=AUTH)
    assert response.status_code in (502, 503)
    assert response.json["code"].startswith("upstream")
    sandbox.fault("ok")
    after = api.get("/api/v1/clients/by-service-id/12", headers=AUTH).json
    assert after == before
    row = first_row(raw_clients(sandbox), lambda r: r["id_servicio"] == 12)
    assert row["ciudad"] == before["city"]


def test_list_clients_is_served_gzipped_when_accepted(api):
    plain = api.get("/api/v1/clients/", headers=AUTH)
    zipped = api.get("/api/v1/clients/", headers={**AUTH, "Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert len(zipped.get_data()) < len(plain.get_data()) / 4
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    again = api.get(
        "/api/v1/clients/",
        headers={**AUTH, "Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert again.status_code == 304
