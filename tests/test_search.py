from __future__ import annotations

import random

import pytest

from tests.support.factories import make_client
from wisphub_api.services import search as search_module
from wisphub_api.services.search import MatchKind, SearchIndex, within_one_edit

CLIENTS = [
    make_client(2, name="LUIS MORA", address="VEREDA LA ESPERANZA", document="55555555"),
    make_client(3, name="SOFIA TORRES", address="BARRIO LAS ESPERANZAS"),
    make_client(4, name="PEDRO GOMEZANO", address="CALLE 10 # 5-20"),
    make_client(5, name="PEDRO CALLE", address="Carrera 7 No. 12-34"),
    make_client(
        7,
        name="ESPERANZA BENÍTEZ",
        document="1.098.765.432",
        phone="300 123 4567, 311 987 6543",
        address="BELLAVISTA",
    ),
    make_client(9, name="ANDRES PARDO", document="10987654321", address="B/ LA PAZ"),
    make_client(12, name="MARÍA ESPERANZA RUIZ", address="BELLAVISTA", phone="3159998877"),
    make_client(15, name="JUAN GÓMEZ", address="CRA 7A # 3-20", document="12345678"),
    make_client(16, name="CARLOS RODRÍGUEZ", address="V/ EL PORVENIR", phone="+57 320 555 0101"),
]


class Indexed:
    """A SearchIndex with its clients: positions answered as the clients they stand for."""

    def __init__(self, clients: list) -> None:
        self.index = SearchIndex.build(clients)
        self.clients = sorted(clients, key=lambda client: client.service_id)

    def search(self, query: str, limit: int = 20) -> list:
        return [self.clients[position] for position in self.index.search(query, limit)]

    def search_scored(self, query: str, limit: int = 20) -> list:
        scored = self.index.search_scored(query, limit)
        return [(self.clients[position], kind) for position, kind in scored]


@pytest.fixture(scope="module")
def index() -> Indexed:
    return Indexed(CLIENTS)


def ids(index: Indexed, query: str, limit: int = 20) -> list[int]:
    return [client.service_id for client in index.search(query, limit)]


def test_search_tiers_name_then_whole_word_then_typo(index: Indexed) -> None:
    scored = index.search_scored("esperanza")
    assert [(c.service_id, kind) for c, kind in scored] == [
        (7, MatchKind.NAME),
        (12, MatchKind.NAME),
        (2, MatchKind.WHOLE_WORDS),
        (3, MatchKind.PARTIAL),
    ]


@pytest.mark.parametrize(
    "query", ["BENÍTEZ ESPERANZA", "benitez esperanza", "Esperanza  Benitez", "ESPERANZA, BENITEZ."]
)
def test_search_accents_case_order_insensitive(index: Indexed, query: str) -> None:
    assert index.search_scored(query)[0][1] is MatchKind.NAME
    assert ids(index, query) == [7]


@pytest.mark.parametrize("query", ["Esperansa Benitez", "Esperanaz", "benitex", "Benitezz"])
def test_search_one_typo_found(index: Indexed, query: str) -> None:
    assert 7 in ids(index, query)


@pytest.mark.parametrize("query", ["Rodriges", "jaun", "3001234568", "Esperanzaaa"])
def test_search_beyond_one_typo_or_short_not_found(index: Indexed, query: str) -> None:
    assert ids(index, query) == []


def test_search_prefix_ranks_below_whole_word(index: Indexed) -> None:
    assert index.search_scored("gomez")[1][1] is MatchKind.PARTIAL
    assert ids(index, "gomez") == [15, 4]


def test_search_prefix_finds_every_longer_word(index: Indexed) -> None:
    assert ids(index, "Esper") == [2, 3, 7, 12]


def test_search_short_prefix_not_expanded(index: Indexed) -> None:
    assert ids(index, "es") == []
    assert ids(index, "300") == []
    assert ids(index, "3001") == [7]


def test_search_exact_document_first(index: Indexed) -> None:
    scored = index.search_scored("1098765432")
    assert [(c.service_id, kind) for c, kind in scored] == [
        (7, MatchKind.EXACT_ID),
        (9, MatchKind.PARTIAL),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1.098.765.432", 7),
        ("+57 300 123 4567", 7),
        ("311-987-6543", 7),
        ("3205550101", 16),
        ("57 320 555 0101", 16),
        ("12.345.678", 15),
    ],
)
def test_search_document_and_phone_spellings_exact(
    index: Indexed, query: str, expected: int
) -> None:
    client, kind = index.search_scored(query)[0]
    assert (client.service_id, kind) == (expected, MatchKind.EXACT_ID)


def test_search_every_word_must_match(index: Indexed) -> None:
    assert ids(index, "esperanza ruiz") == [12]
    assert ids(index, "esperanza rodriguez") == []


def test_search_name_and_address_words_combined(index: Indexed) -> None:
    scored = index.search_scored("maria bellavista")
    assert [(c.service_id, kind) for c, kind in scored] == [(12, MatchKind.WHOLE_WORDS)]


def test_search_articles_and_prefixes_optional(index: Indexed) -> None:
    assert ids(index, "la esperanza") == ids(index, "esperanza")
    assert ids(index, "vda la esperanza") == ids(index, "esperanza")
    assert ids(index, "Barrio La Paz") == [9]
    assert ids(index, "cra 7a") == [15]


def test_search_only_optional_words_required(index: Indexed) -> None:
    assert ids(index, "Calle") == [5]
    assert ids(index, "pedro calle") == [5, 4]


@pytest.mark.parametrize("limit", [0, 1, 2, 3])
def test_search_limit_respected(index: Indexed, limit: int) -> None:
    assert ids(index, "esperanza", limit) == [7, 12, 2, 3][:limit]


def test_search_input_order_irrelevant() -> None:
    shuffled = list(CLIENTS)
    random.Random(4).shuffle(shuffled)
    first, second = Indexed(CLIENTS), Indexed(shuffled)
    for query in ("esperanza", "esper", "pedro", "bellavista", "1098765432"):
        assert first.search_scored(query) == second.search_scored(query)


@pytest.mark.parametrize("query", ["", "   ", "%#/-", "\x00\x07", "\u200b", "B/ V/"])
def test_search_empty_queries_empty_result(index: Indexed, query: str) -> None:
    assert index.search(query) == []


def test_search_control_characters_ignored(index: Indexed) -> None:
    assert ids(index, "\x00esperanza\x07 benitez\u200b") == [7]


@pytest.mark.parametrize(
    "query",
    ["a" * 100_000, "esperanza " * 5_000, " ".join(f"w{n}" for n in range(5_000)), "ñ" * 3_000],
)
def test_search_hostile_queries_are_cut_before_any_work(
    index: Indexed, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A huge query costs what its first MAX_QUERY_CHARS characters cost (no timing: counted)."""
    seen: list[int] = []
    tokens = search_module.address_tokens

    def counting(text: str, **kwargs: object) -> list[str]:
        seen.append(len(text))
        return tokens(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(search_module, "address_tokens", counting)
    answer = index.search(query)
    assert seen and max(seen) <= search_module.MAX_QUERY_CHARS
    assert answer == index.search(query[: search_module.MAX_QUERY_CHARS])


def test_search_empty_index_empty_result() -> None:
    assert SearchIndex.build([]).search("esperanza") == []


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("esperanza", "esperanza", True),
        ("esperansa", "esperanza", True),
        ("esperanz", "esperanza", True),
        ("esperanzaa", "esperanza", True),
        ("esperanaz", "esperanza", True),
        ("sperannza", "esperanza", False),
        ("rodriges", "rodriguez", False),
        ("abcde", "bcdea", False),
        ("", "a", True),
        ("", "ab", False),
    ],
)
def test_within_one_edit_table(a: str, b: str, expected: bool) -> None:
    assert within_one_edit(a, b) is expected
    assert within_one_edit(b, a) is expected
