from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import make_client
from wisphub_api.services.verification import VerificationResult, resolve_candidates, verify

ESPERANZA = make_client(
    7,
    name="ESPERANZA BENITEZ",
    document="1.098.765.432",
    phone="300 123 4567, 311 987 6543",
    address="BELLAVISTA",
    city="POPAYÁN",
    locality="VDA LA ESPERANZA",
    internet_plan_name="PLAN 10MB",
    internet_plan_price=40000.0,
    service_status="Activo",
)


def match_fields(client: Any, claims: dict[str, Any], *, price_tolerance: float = 1.0) -> list[str]:
    """Return the claims that match ``client``, in request order (what verify reports)."""
    return verify(client, claims, min_fields=1, price_tolerance=price_tolerance).matched_fields


def matches(field: str, claim: Any, stored: Any) -> bool:
    """Tell whether one claim matches a client holding ``stored`` in ``field``."""
    return match_fields(make_client(**{field: stored}), {field: claim}) == [field]


def test_verify_load_test_payload_valid() -> None:
    result = verify(
        ESPERANZA, {"address": "BELLAVISTA", "internet_plan_price": 40000.0}, min_fields=2
    )
    assert result.is_valid
    assert result.matched_fields == ["address", "internet_plan_price"]
    assert result.message == "Identity verified: 2 fields matched."


def test_verify_one_of_two_not_valid_with_counts() -> None:
    result = verify(
        ESPERANZA, {"address": "BELLAVISTA", "internet_plan_price": 55000}, min_fields=2
    )
    assert result == VerificationResult(
        False, ["address"], "Identity not verified: 1 of the required 2 fields matched.", 1
    )


def test_verify_message_never_contains_stored_values() -> None:
    claims = {
        "name": "Esperanza",
        "document": "1098765430",
        "address": "BELLA",
        "city": "Popayan",
        "internet_plan_price": 40000,
        "phone": "3001234567",
    }
    stored = [
        ESPERANZA.name,
        ESPERANZA.document,
        "1098765432",
        ESPERANZA.address,
        "POPAYÁN",
        "popayan",
        ESPERANZA.locality,
        ESPERANZA.internet_plan_name,
        "40000",
        "3001234567",
    ]
    for min_fields in (1, 3, 9):
        message = verify(ESPERANZA, claims, min_fields=min_fields).message.lower()
        assert not [value for value in stored if value and value.lower() in message]


def test_verify_min_fields_zero_still_needs_a_match() -> None:
    assert not verify(ESPERANZA, {"address": "B"}, min_fields=0).is_valid


def test_match_fields_request_order_and_names_kept() -> None:
    claims = {
        "internet_plan_price": 40000,
        "service_status": "Activo",
        "name": "benitez esperanza",
        "address": "bellavista",
        "unknown": "x",
    }
    assert match_fields(ESPERANZA, claims) == ["internet_plan_price", "name", "address"]


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (40000, True),
        (40000.0, True),
        (40000.9, True),
        (39999.0, True),
        (40001.0, True),
        (40002, False),
        (39998.9, False),
        (0, False),
        ("40000", False),
        (True, False),
        (float("nan"), False),
        (float("inf"), False),
        (None, False),
    ],
)
def test_match_fields_price_within_one(claim: Any, expected: bool) -> None:
    assert matches("internet_plan_price", claim, 40000.0) is expected


def test_match_fields_price_tolerance_configurable() -> None:
    client = make_client(internet_plan_price=40000.0)
    claims = {"internet_plan_price": 40002}
    assert match_fields(client, claims, price_tolerance=5) == ["internet_plan_price"]
    assert match_fields(client, claims, price_tolerance=0) == []


def test_match_fields_price_unknown_never_matches() -> None:
    assert not matches("internet_plan_price", 0, None)


HOSTILE_CLAIMS = [
    "B",
    "BELLA",
    "A",
    "CALLE",
    "",
    "   ",
    "%",
    "10",
    "LA",
    "B/",
    "V/",
    "de la",
    "\x00",
    "\u200b",
    "BELLAVISTA" * 30,
    "BELLA VISTA",
    "BELLAVISTAS",
    "*",
    ".*",
]


@pytest.mark.parametrize("claim", HOSTILE_CLAIMS)
@pytest.mark.parametrize("stored", ["BELLAVISTA", "CALLE 10 # 5-20", "B", "A", "LA", "%"])
def test_match_fields_hostile_address_never_matches(claim: str, stored: str) -> None:
    assert not matches("address", claim, stored)


@pytest.mark.parametrize("claim", HOSTILE_CLAIMS)
def test_match_fields_hostile_claims_match_no_field(claim: str) -> None:
    claims = {
        field: claim
        for field in (
            "name",
            "document",
            "phone",
            "address",
            "city",
            "locality",
            "internet_plan_name",
        )
    }
    assert match_fields(ESPERANZA, claims) == []


@pytest.mark.parametrize(
    ("claim", "stored"),
    [
        ("BELLAVISTA", "BELLAVISTA"),
        ("bellavista", "Bellavista"),
        ("V/ Bellavista", "BELLAVISTA"),
        ("VDA LA ESPERANZA", "vereda la esperanza"),
        ("ESPERANZA", "VDA LA ESPERANZA"),
        ("LA ESPERANZA", "ESPERANZA"),
        ("CRA 7 #12-34", "Carrera 7 No. 12-34"),
        ("Cll 10 N 5-20", "CALLE 10 # 5-20"),
        ("calle 10 5 20", "CALLE 10 # 5-20"),
        ("5-20 calle 10", "CALLE 10 # 5-20"),
        ("B/ LA PAZ", "Barrio La Paz"),
        ("Barrio la Páz", "B/ LA PAZ"),
        ("Manzana B casa 4", "MANZANA B CASA 4"),
        ("CALLE 5B # 3-20", "calle 5 b 3 20"),
    ],
)
def test_match_fields_address_variants_match(claim: str, stored: str) -> None:
    assert matches("address", claim, stored)


@pytest.mark.parametrize(
    ("claim", "stored"),
    [
        ("10", "CALLE 10 # 5-20"),
        ("CALLE 10", "CALLE 10 # 5-20"),
        ("10 5", "CALLE 10 # 5-20"),
        ("CALLE 10 # 5-21", "CALLE 10 # 5-20"),
        ("CALLE 10 # 5-20 APTO 3", "CALLE 10 # 5-20"),
        ("LA PAZ", "LA PAZ DEL NORTE"),
        ("MANZANA CASA", "MANZANA B CASA 4"),
        ("PAZ", "LA PAZ 2"),
    ],
)
def test_match_fields_address_partial_does_not_match(claim: str, stored: str) -> None:
    assert not matches("address", claim, stored)


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("ESPERANZA BENITEZ", True),
        ("Benítez Esperanza", True),
        ("esperanza  benitez", True),
        ("ESPERANZA", False),
        ("BENITEZ", False),
        ("ESPERANZA B", False),
        ("ESPERANZA BENITES", False),
        ("ESPERANZA BENITEZ GOMEZ", False),
        ("ESPERANZA ESPERANZA", False),
        ("DE LA", False),
    ],
)
def test_match_fields_name_whole_words_any_order(claim: str, expected: bool) -> None:
    assert matches("name", claim, "ESPERANZA BENITEZ") is expected


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("MARIA PEREZ", True),
        ("María de los Ángeles Pérez Gómez", True),
        ("MARIA", False),
        ("PEREZ GOMEZ ANGELES", True),
    ],
)
def test_match_fields_name_long_stored_needs_half(claim: str, expected: bool) -> None:
    assert matches("name", claim, "MARIA DE LOS ANGELES PEREZ GOMEZ") is expected


def test_match_fields_name_three_of_seven_words_not_enough() -> None:
    assert not matches("name", "ANA MARIA LUZ", "ANA MARIA LUZ DARY PEREZ GOMEZ RUIZ")


def test_match_fields_name_single_stored_word_matches_itself() -> None:
    assert matches("name", "Esperanza", "ESPERANZA")
    assert not matches("name", "Es", "ES")


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("1098765432", True),
        ("1.098.765.432", True),
        (" 1098765432 ", True),
        (1098765432, True),
        ("109876543", False),
        ("10987654320", False),
        ("", False),
        ("abc", False),
        (True, False),
        ("1098765432" * 30, False),
    ],
)
def test_match_fields_document_exact_digits(claim: Any, expected: bool) -> None:
    assert matches("document", claim, "1098765432") is expected


def test_match_fields_document_short_stored_never_matches() -> None:
    assert not matches("document", "0", "0")


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("3001234567", True),
        ("+57 300 123 4567", True),
        ("311-987-6543", True),
        (3119876543, True),
        ("3001234568", False),
        ("1234", False),
        ("", False),
        ("%", False),
    ],
)
def test_match_fields_phone_any_of_client_numbers(claim: Any, expected: bool) -> None:
    assert (match_fields(ESPERANZA, {"phone": claim}) == ["phone"]) is expected


@pytest.mark.parametrize(
    ("field", "claim", "stored", "expected"),
    [
        ("city", "Popayan", "POPAYÁN", True),
        ("city", "Bogotá", "BOGOTA D.C.", True),
        ("city", "D C", "BOGOTA D.C.", False),
        ("locality", "la esperanza", "VDA LA ESPERANZA", True),
        ("internet_plan_name", "plan 10mb", "PLAN 10MB", True),
        ("internet_plan_name", "10 MB", "PLAN 10MB", True),
        ("internet_plan_name", "10", "PLAN 10MB", False),
        ("internet_plan_name", "PLAN", "PLAN 10MB", False),
    ],
)
def test_match_fields_other_text_fields(
    field: str, claim: str, stored: str, expected: bool
) -> None:
    assert matches(field, claim, stored) is expected


def test_match_fields_service_status_not_identity() -> None:
    assert match_fields(ESPERANZA, {"service_status": "Activo"}) == []


DIRECTORY = [
    ESPERANZA,
    make_client(
        8,
        name="ESPERANZA BENITEZ",
        address="BELLAVISTA",
        internet_plan_name="PLAN 20MB",
        internet_plan_price=60000.0,
    ),
    make_client(
        9,
        name="JUAN BENITEZ",
        address="BELLAVISTA",
        internet_plan_name="PLAN 10MB",
        internet_plan_price=40000.0,
    ),
]


def test_resolve_candidates_all_claims_must_match() -> None:
    claims = {"name": "esperanza benitez", "address": "Bellavista", "internet_plan_price": 40000}
    assert resolve_candidates(DIRECTORY, claims) == [ESPERANZA]


def test_resolve_candidates_ambiguous_returns_every_match() -> None:
    claims = {"name": "esperanza benitez", "address": "Bellavista", "internet_plan_name": None}
    found = resolve_candidates(DIRECTORY, claims, min_fields=2)
    assert [client.service_id for client in found] == [7, 8]


def test_resolve_candidates_null_claims_not_counted() -> None:
    claims = {"name": "esperanza benitez", "address": "Bellavista", "internet_plan_name": None}
    assert resolve_candidates(DIRECTORY, claims) == []


def test_resolve_candidates_two_claims_too_few() -> None:
    assert (
        resolve_candidates(DIRECTORY, {"address": "Bellavista", "internet_plan_price": 40000}) == []
    )


def test_resolve_candidates_ignores_fields_outside_resolve() -> None:
    claims = {"address": "Bellavista", "internet_plan_price": 40000, "document": "1098765432"}
    assert resolve_candidates(DIRECTORY, claims) == []


def test_resolve_candidates_min_fields_lowered_finds_several() -> None:
    claims = {"address": "Bellavista", "internet_plan_name": "10MB"}
    found = resolve_candidates(DIRECTORY, claims, min_fields=2)
    assert [client.service_id for client in found] == [7, 9]


def test_verify_city_and_locality_never_reach_the_minimum() -> None:
    result = verify(ESPERANZA, {"city": "Popayán", "locality": "Vereda La Esperanza"}, min_fields=2)
    assert not result.is_valid
    assert result.matched_fields == ["city", "locality"]
    assert "do not count" in result.message


def test_verify_weak_fields_still_reported_beside_strong_ones() -> None:
    result = verify(
        ESPERANZA,
        {"address": "BELLAVISTA", "internet_plan_price": 40000, "city": "POPAYAN"},
        min_fields=2,
    )
    assert result.is_valid
    assert result.matched_fields == ["address", "internet_plan_price", "city"]
