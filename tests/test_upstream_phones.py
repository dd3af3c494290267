"""Phone numbers: normalised lookup keys and display text from WispHub's free-text field."""

from __future__ import annotations

import pytest

from wisphub_api.upstream.phones import display_phones, normalize_phone, split_phones


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3001234567", "3001234567"),
        ("+57 300 123 4567", "3001234567"),
        ("300-123-4567", "3001234567"),
        ("(57) 3001234567", "3001234567"),
        ("5215512345678", "5512345678"),
        ("+52 1 55 1234 5678", "5512345678"),
        ("3001234567 ext 12", "3001234567"),
        ("3001234567 Ext. 305", "3001234567"),
        ("3001234567x12", "3001234567"),
        ("8234567", "8234567"),
        ("", None),
        ("123", None),
        ("sin telefono", None),
    ],
)
def test_normalize_phone_spellings_give_national_digits(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3001234567,3119876543", ("3001234567", "3119876543")),
        ("3001234567; 311 987 6543", ("3001234567", "3119876543")),
        ("3001234567 / +57 3119876543", ("3001234567", "3119876543")),
        ("3001234567 y 3119876543", ("3001234567", "3119876543")),
        ("3001234567 3119876543", ("3001234567", "3119876543")),
        ("+57 300 123 4567, 3001234567", ("3001234567",)),
        ("3001234567, 12", ("3001234567",)),
        ("", ()),
        (None, ()),
    ],
)
def test_split_phones_several_numbers_give_distinct_keys(raw, expected):
    assert split_phones(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 3001234567 , 3119876543 ", "3001234567,3119876543"),
        ("+57 300 123 4567", "+57 300 123 4567"),
        ("3001234567 / 3119876543", "3001234567,3119876543"),
        ("", None),
        (None, None),
        (" , ", None),
    ],
)
def test_display_phones_numbers_joined_by_comma(raw, expected):
    assert display_phones(raw) == expected
