"""Postings: keys in one blob with a hash table, answering as a sorted list of strings did."""

from __future__ import annotations

import marshal
import random
from array import array
from bisect import bisect_left

import pytest

from wisphub_api.services.postings import Postings

MAPPING = {
    "pena": [1, 4],
    "peña": [2],
    "pe": [9],
    "penas": [3, 7],
    "300123": [5],
    "zzz": [6],
    "árbol": [8],
}


@pytest.fixture
def postings() -> Postings:
    return Postings.load(Postings.build(MAPPING).dump())


def test_postings_get_answers_every_key_in_the_order_given(postings):
    assert {key: list(postings.get(key)) for key in MAPPING} == MAPPING


def test_postings_get_of_an_absent_key_is_empty(postings):
    assert list(postings.get("penaz")) == [] and "penaz" not in postings
    assert postings.size("penaz") == 0 and postings.index("penaz") == -1


@pytest.mark.parametrize("key", ["", "\ud800", "pe\udfff", "\U0010ffff", 3])
def test_postings_odd_keys_are_absent_not_errors(postings, key):
    assert key not in postings


def test_postings_keys_are_sorted_as_python_strings(postings):
    assert postings.keys() == sorted(MAPPING)
    assert [postings.key(rank) for rank in range(len(postings))] == sorted(MAPPING)


@pytest.mark.parametrize("prefix", ["pe", "pen", "peñ", "p", "3001", "á", "z", "q", ""])
def test_postings_prefixed_matches_a_bisect_over_sorted_strings(postings, prefix):
    keys = sorted(MAPPING)
    start = bisect_left(keys, prefix)
    expected = [key for key in keys[start:] if key.startswith(prefix)]
    assert postings.prefixed(prefix) == expected


def test_postings_longest_bounds_every_key_in_characters(postings):
    assert postings.longest() >= max(map(len, MAPPING))


def test_postings_many_keys_with_colliding_slots_are_all_found():
    mapping = {f"w{number}": [number] for number in range(5000)}
    built = Postings.build(mapping)
    assert all(list(built.get(key)) == value for key, value in mapping.items())
    assert "w5000" not in built


def test_postings_empty_answers_nothing():
    empty = Postings.load(Postings.build({}).dump())
    assert len(empty) == 0 and list(empty.get("a")) == [] and empty.prefixed("a") == []
    assert empty.longest() == 0


def test_postings_load_reads_a_snapshot_written_before_keys_were_a_blob():
    keys = sorted(MAPPING)
    offsets, values = array("I", [0]), array("I")
    for key in keys:
        values.extend(MAPPING[key])
        offsets.append(len(values))
    old = marshal.dumps((keys, offsets.tobytes(), values.tobytes()))
    loaded = Postings.load(memoryview(old))
    assert {key: list(loaded.get(key)) for key in MAPPING} == MAPPING


def test_postings_prefixed_across_many_blocks_matches_startswith():
    rng = random.Random(1)
    keys = {"".join(rng.choice("abcñ0") for _ in range(rng.randint(1, 6))) for _ in range(3000)}
    built = Postings.build({key: [1] for key in keys})
    ordered = sorted(keys)
    for prefix in ["", "a", "ñ", "c0ñ", "zz", *ordered[::37]]:
        assert built.prefixed(prefix) == [key for key in ordered if key.startswith(prefix)]
