"""Search route over a real sandbox: validation, folding, typos, ranking."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH
from tests.support.upstream_data import raw_clients, unique_document_row


def search(api, query: str, **params):
    return api.get("/api/v1/clients/search", query_string={"q": query, **params}, headers=AUTH)


@pytest.mark.parametrize(
    "query",
    ["Esperanza", "esperanza benitez", "BENÍTEZ ESPERANZA", "Esperansa", "benitez, esperanza"],
)
def test_search_finds_esperanza_whatever_the_spelling(api, query):
    response = search(api, query)
    assert response.status_code == 200
    assert 7 in [c["service_id"] for c in response.json]


def test_search_whole_name_ranks_first(api):
    response = search(api, "Esperanza Benitez")
    assert response.json[0]["service_id"] == 7


def test_search_exact_document_ranks_first(api, sandbox):
    row = unique_document_row(raw_clients(sandbox))
    response = search(api, row["cedula"])
    assert response.status_code == 200
    assert response.json[0]["service_id"] == row["id_servicio"]


def test_search_every_word_must_match(api):
    assert search(api, "Esperanza Zzyzxq").json == []


def test_search_respects_limit(api):
    answer = search(api, "a", limit=3)  # one letter: matches by prefix, many clients
    assert answer.status_code == 200
    assert len(answer.json) <= 3
    assert len(search(api, "Rodriguez", limit=100).json) <= 100


@pytest.mark.parametrize("query", ["   ", "!!!", ", ", "¿?"])
def test_search_without_letters_or_digits_matches_nobody(api, query):
    response = search(api, query)
    assert response.status_code == 200
    assert response.json == []


def test_search_no_match_is_an_empty_list(api):
    response = search(api, "Test")
    assert response.status_code == 200
    assert response.json == []


def test_search_answer_is_a_cache_hit_once_warm(api):
    search(api, "Esperanza")
    assert search(api, "Lopez").headers["X-Cache"] == "HIT"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 400, "q"),
        ({"q": ""}, 422, "q"),
        ({"q": "x" * 101}, 422, "q"),
        ({"q": "Esperanza", "limit": 0}, 422, "limit"),
        ({"q": "Esperanza", "limit": 101}, 422, "limit"),
        ({"q": "Esperanza", "limit": "ten"}, 422, "limit"),
        ({"q": "Esperanza", "page": 2}, 422, "page"),
    ],
)
def test_search_invalid_query_is_refused(api, params, status, field):
    response = api.get("/api/v1/clients/search", query_string=params, headers=AUTH)
    assert response.status_code == status
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    "query",
    [
        "\x00\x01\x7f",
        "ñ" * 100,
        "Esperanza\u200b",
        "😀 Esperanza",
        "%' OR 1=1 --",
        "a b c d e f g h i j k l m n o p",
    ],
)
def test_search_odd_text_never_fails(api, query):
    response = search(api, query)
    assert response.status_code in (200, 422)
    assert response.is_json
