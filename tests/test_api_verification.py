"""Verify and resolve over a real sandbox: matching, secrecy, lockout, ambiguity."""

from __future__ import annotations

import time

import pytest

from tests.conftest import AUTH
from tests.support.upstream_data import first_row, raw_clients

LOAD_TEST_PAYLOAD = {"address": "BELLAVISTA", "internet_plan_price": 40000.0}


def verify(api, service_id: int, body):
    return api.post(f"/api/v1/clients/{service_id}/verify", json=body, headers=AUTH)


def test_verify_load_test_payload_is_valid(api):
    response = verify(api, 7, LOAD_TEST_PAYLOAD)
    assert response.status_code == 200
    assert response.json["is_valid"] is True
    assert response.json["matched_fields"] == ["address", "internet_plan_price"]


def test_verify_alias_route_answers_the_same(api):
    alias = api.post("/api/clients/7/verify", json=LOAD_TEST_PAYLOAD, headers=AUTH)
    assert alias.status_code == 200
    assert alias.json == verify(api, 7, LOAD_TEST_PAYLOAD).json


@pytest.mark.parametrize("address", ["B", "A", "BELLA", "L", "CALLE", "%", "BELLAVISTAS"])
def test_verify_partial_address_never_matches(api, address):
    response = verify(api, 7, {"address": address, "internet_plan_price": 40000.0})
    assert response.status_code == 200
    assert response.json["is_valid"] is False
    assert "address" not in response.json["matched_fields"]


def test_verify_price_matches_within_one(api):
    near = verify(api, 7, {"address": "bellavista", "internet_plan_price": 40000.9})
    far = verify(api, 8, {"address": "nowhere at all", "internet_plan_price": 1.0})
    assert near.json["is_valid"] is True
    assert far.json["matched_fields"] == []


def test_verify_answer_never_reveals_stored_values(api, sandbox):
    row = first_row(raw_clients(sandbox), lambda r: r["id_servicio"] == 7)
    response = verify(api, 7, {"address": "SOMEWHERE ELSE", "name": "NOBODY KNOWN"})
    text = response.get_data(as_text=True).upper()
    for stored in (
        row["direccion"],
        row["nombre"],
        row["cedula"],
        row["telefono"],
        row["precio_plan"],
    ):
        if stored:
            assert stored.upper() not in text


def test_verify_unknown_client_is_404(api):
    response = verify(api, 999999, LOAD_TEST_PAYLOAD)
    assert response.status_code == 404
    assert response.json["code"] == "client_not_found"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"address": "BELLAVISTA"}, 400, "_schema"),
        ({}, 400, "_schema"),
        ({"address": "BELLAVISTA", "internet_plan_price": "40000"}, 422, "internet_plan_price"),
        ({"address": "BELLAVISTA", "internet_plan_price": True}, 422, "internet_plan_price"),
        ({"address": "BELLAVISTA", "internet_plan_price": -5}, 422, "internet_plan_price"),
        ({"address": 7, "internet_plan_price": 40000}, 422, "address"),
        ({"address": "BELLAVISTA", "internet_plan_price": 40000, "pin": "1234"}, 422, "pin"),
        ({"address": "x" * 201, "internet_plan_price": 40000}, 422, "address"),
    ],
)
def test_verify_invalid_body_is_refused(api, body, status, field):
    response = verify(api, 7, body)
    assert response.status_code == status
    assert field in response.json["errors"]


def test_verify_body_that_is_a_list_is_refused(api):
    response = verify(api, 7, [LOAD_TEST_PAYLOAD])
    assert response.status_code in (400, 422)
    assert response.is_json


def test_verify_sixth_failure_is_locked_out_with_retry_after(api):
    wrong = {"address": "SOMEWHERE ELSE", "internet_plan_price": 1.0}
    answers = [verify(api, 9, wrong) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    locked = verify(api, 9, wrong)
    assert locked.status_code == 429
    assert locked.json["code"] == "verification_locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert verify(api, 9, LOAD_TEST_PAYLOAD).status_code == 429  # even a right answer waits
    assert verify(api, 10, wrong).status_code == 200  # other services are not affected


def test_verify_successes_are_not_counted(api):
    for _ in range(8):
        assert verify(api, 7, LOAD_TEST_PAYLOAD).status_code == 200


def test_verify_lockout_ends_when_the_window_passes(make_app, sandbox_clean):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        VERIFY_WINDOW_SECONDS=1,
        VERIFY_MAX_FAILURES=2,
    )
    api = app.test_client()
    wrong = {"address": "SOMEWHERE ELSE", "internet_plan_price": 1.0}
    assert [verify(api, 9, wrong).status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.2)
    assert verify(api, 9, LOAD_TEST_PAYLOAD).status_code == 200


def test_verify_min_fields_is_configurable(make_app, sandbox_clean):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        VERIFY_MIN_FIELDS=3,
    )
    response = verify(app.test_client(), 7, LOAD_TEST_PAYLOAD)
    assert response.status_code == 400  # two fields can never reach three


def _resolve_claims(api, service_id: int) -> dict:
    client = api.get(f"/api/v1/clients/by-service-id/{service_id}", headers=AUTH).json
    return {
        "name": client["name"],
        "address": client["address"],
        "internet_plan_name": client["internet_plan_name"],
        "internet_plan_price": client["internet_plan_price"],
    }


def test_resolve_single_match_returns_the_client(api):
    response = api.post("/api/v1/clients/resolve", json=_resolve_claims(api, 7), headers=AUTH)
    assert response.status_code == 200
    assert response.json["service_id"] == 7


def test_resolve_twins_is_409(api, sandbox):
    rows = raw_clients(sandbox)
    seven = first_row(rows, lambda r: r["id_servicio"] == 7)
    twin = first_row(
        rows,
        lambda r: (
            r["id_servicio"] != 7 and r["plan_internet"]["id"] == seven["plan_internet"]["id"]
        ),
    )
    api.get("/api/v1/clients/", headers=AUTH)  # warm, so the update lands in the snapshot
    update = api.put(
        f"/api/v1/clients/{twin['id_servicio']}",
        json={"name": seven["nombre"], "address": seven["direccion"]},
        headers=AUTH,
    )
    assert update.status_code == 200
    response = api.post("/api/v1/clients/resolve", json=_resolve_claims(api, 7), headers=AUTH)
    assert response.status_code == 409
    assert response.json["code"] == "ambiguous_client"


def test_resolve_no_match_is_404(api):
    claims = {
        "name": "NADIE CONOCIDO",
        "address": "CALLE FALSA 123",
        "internet_plan_price": 12345.0,
    }
    response = api.post("/api/v1/clients/resolve", json=claims, headers=AUTH)
    assert response.status_code == 404


def test_resolve_with_too_few_fields_is_400(api):
    response = api.post(
        "/api/v1/clients/resolve",
        json={"name": "ESPERANZA BENITEZ", "address": "BELLAVISTA"},
        headers=AUTH,
    )
    assert response.status_code == 400
    assert "_schema" in response.json["errors"]


def test_verify_valid_answer_with_a_wrong_extra_claim_counts_as_a_failure(make_app, sandbox_clean):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        VERIFY_MAX_FAILURES=2,
    )
    api = app.test_client()
    probing = {**LOAD_TEST_PAYLOAD, "document": "1234567890"}  # two known facts + one guess
    answers = [verify(api, 7, probing) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].json["is_valid"] is True


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("+573001112233", True),
        ("a", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("tab\there", False),
        ("ñandú", False),
    ],
)
def test_verify_end_user_header_shape(api, value, accepted):
    headers = {**AUTH, "X-End-User": value.encode("utf-8").decode("latin-1")}
    response = api.post("/api/v1/clients/7/verify", headers=headers, json=LOAD_TEST_PAYLOAD)
    assert response.status_code == (200 if accepted else 422)
    if not accepted:
        assert "X-End-User" in response.json["errors"]


def test_verify_fails_closed_when_the_counters_are_unreachable(make_app, sandbox_clean):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        CACHE_REDIS_URL="redis://127.0.0.1:9/0",  # nothing listens there
        CACHE_TYPE="RedisCache",
    )
    api = app.test_client()
    for claims in (LOAD_TEST_PAYLOAD, {"address": "NO EXISTE", "internet_plan_price": 1.0}):
        response = verify(api, 7, claims)
        assert response.status_code == 503
        assert response.json["code"] == "verification_unavailable"
        assert int(response.headers["Retry-After"]) >= 1
