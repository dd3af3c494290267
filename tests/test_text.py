from __future__ import annotations

import pytest

from wisphub_api.services.text import address_tokens, digits, fold, split_alnum, tokens

FOLD_CASES = [
    ("BENÍTEZ", "benitez"),
    ("Calle 10 #5-20", "calle 10 5 20"),
    ("  Esperanza   Benítez  ", "esperanza benitez"),
    ("PEÑA", "pena"),
    ("Müller", "muller"),
    ("Straße", "strasse"),
    ("İbrahim", "ibrahim"),
    ("\u210cOLA", "hola"),
    ("ﬁnca", "finca"),
    ("N° 12", "n 12"),
    ("Nº 12", "no 12"),
    ("\uff11\uff12\uff13", "123"),
    ("a\x00b\u200bc\td\ne", "a b c d e"),
    ("%", ""),
    ("   ", ""),
    ("", ""),
    (None, ""),
    ("snake_case-name", "snake case name"),
]


@pytest.mark.parametrize(("raw", "folded"), FOLD_CASES)
def test_fold_table_expected(raw: str | None, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(("raw", "folded"), FOLD_CASES)
def test_fold_twice_same_as_once(raw: str | None, folded: str) -> None:
    assert fold(fold(raw)) == fold(raw)


def test_fold_combining_marks_written_apart_dropped() -> None:
    assert fold("Bogota\u0301") == fold("Bogotá") == "bogota"


def test_fold_very_long_text_kept_whole() -> None:
    assert fold("Á" * 100_000) == "a" * 100_000


def test_tokens_split_on_spaces_and_punctuation() -> None:
    assert tokens("Ana-María  O'Neill") == ["ana", "maria", "o", "neill"]


def test_split_alnum_letters_and_digits_apart() -> None:
    assert split_alnum(["7a", "10mb", "n12", "abc", "123"]) == [
        "7",
        "a",
        "10",
        "mb",
        "n",
        "12",
        "abc",
        "123",
    ]


ADDRESS_CASES = [
    ("CALLE 10 # 5-20", ["10", "5", "20"]),
    ("Cll 10 No. 5-20", ["10", "5", "20"]),
    ("CL 10 Nro 5 20", ["10", "5", "20"]),
    ("CRA 7 #12-34", ["7", "12", "34"]),
    ("Carrera 7 No. 12-34", ["7", "12", "34"]),
    ("KR 7 N 12-34", ["7", "12", "34"]),
    ("CR 7 N°12-34", ["7", "12", "34"]),
    ("Cra 7 Nº 12-34", ["7", "12", "34"]),
    ("cra 7 n12 34", ["7", "12", "34"]),
    ("Avenida 3 # 4-5", ["3", "4", "5"]),
    ("VDA LA ESPERANZA", ["la", "esperanza"]),
    ("vereda la esperanza", ["la", "esperanza"]),
    ("V/ Bellavista", ["bellavista"]),
    ("V/Bellavista", ["bellavista"]),
    ("B/ LA PAZ", ["la", "paz"]),
    ("Barrio La Paz", ["la", "paz"]),
    ("BRR La Paz", ["la", "paz"]),
    ("BELLAVISTA", ["bellavista"]),
    ("MANZANA B CASA 4", ["manzana", "b", "casa", "4"]),
    ("MANZANA N CASA 4", ["manzana", "n", "casa", "4"]),
    ("Calle 5B # 3-20", ["5", "b", "3", "20"]),
    ("VIA AL MAR KM 5 V", ["via", "al", "mar", "km", "5", "v"]),
    ("CALLE", []),
    ("# - /", []),
    ("", []),
    (None, []),
]


@pytest.mark.parametrize(("raw", "expected"), ADDRESS_CASES)
def test_address_tokens_table_expected(raw: str | None, expected: list[str]) -> None:
    assert address_tokens(raw) == expected


def test_address_tokens_keep_prefixes_keeps_words_but_not_slash_forms() -> None:
    assert address_tokens("B/ Calle Real N 12", keep_prefixes=True) == ["calle", "real", "12"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.098.765.432", "1098765432"),
        ("CC 1098765432", "1098765432"),
        ("\uff11\uff10\uff19\uff18", "1098"),
        ("٣٤", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_digits_table_expected(raw: str | None, expected: str) -> None:
    assert digits(raw) == expected
