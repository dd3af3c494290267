"""Prepared list bytes: chunks, one valid gzip stream of segments, pages, patches."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from wisphub_api.services import listing as listing_module
from wisphub_api.services.listing import Listing


def clients(count: int) -> list[dict]:
    return [
        {"service_id": i, "name": f"CLIENT {i}", "note": "ñ" * (i % 3)} for i in range(1, count + 1)
    ]


def build(rows: list[dict]) -> Listing:
    return Listing.build([r["service_id"] for r in rows], [json.dumps(r).encode() for r in rows])


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(listing_module, "CHUNK_CLIENTS", 7)  # many chunks from a few clients


@pytest.mark.parametrize("count", [0, 1, 6, 7, 8, 50])
def test_listing_plain_and_gzip_are_the_whole_array(count):
    rows = clients(count)
    prepared = build(rows)
    plain = b"".join(prepared.plain())
    assert json.loads(plain) == rows
    assert prepared.size == len(plain) and prepared.count == count
    assert gzip.decompress(b"".join(prepared.gzipped())) == plain
    assert zlib.decompress(b"".join(prepared.gzipped()), 16 + zlib.MAX_WBITS) == plain
    assert prepared.crc == zlib.crc32(plain)


@pytest.mark.parametrize(
    ("offset", "limit"),
    [(0, 1), (0, 7), (3, 10), (6, 2), (45, 10), (49, 1), (50, 5), (0, 1000), (10, 0)],
)
def test_listing_pages_are_slices_of_the_array(offset, limit):
    rows = clients(50)
    page = build(rows).page(offset, limit)
    assert json.loads(page) == rows[offset : offset + limit]


def test_listing_patch_replaces_and_adds_only_in_the_chunks_concerned():
    rows = clients(30)
    base = build(rows)
    changed = dict(rows[9], name="NEW NAME")
    added = {"service_id": 100, "name": "LATE"}
    first = {"service_id": 0, "name": "FIRST"}
    patched = base.patched(
        {
            10: json.dumps(changed).encode(),
            100: json.dumps(added).encode(),
            0: json.dumps(first).encode(),
        }
    )
    expected = [first, *rows[:9], changed, *rows[10:], added]
    assert json.loads(b"".join(patched.plain())) == expected
    assert gzip.decompress(b"".join(patched.gzipped())) == b"".join(patched.plain())
    assert json.loads(patched.page(9, 3)) == expected[9:12]
    untouched = [i for i, c in enumerate(base.chunks) if c is patched.chunks[i]]
    assert len(untouched) == len(base.chunks) - 3  # three chunks rebuilt, the others shared
    assert patched.etag != base.etag


def test_listing_patch_of_an_empty_listing():
    patched = build([]).patched({5: b'{"service_id":5}'})
    assert json.loads(b"".join(patched.plain())) == [{"service_id": 5}]


def test_listing_dump_and_load_round_trip():
    prepared = build(clients(20))
    loaded = Listing.load(prepared.dump())
    assert b"".join(loaded.plain()) == b"".join(prepared.plain())
    assert b"".join(loaded.gzipped()) == b"".join(prepared.gzipped())
    assert loaded.etag == prepared.etag and loaded.count == 20


def test_listing_etag_follows_content():
    rows = clients(10)
    assert build(rows).etag == build(rows).etag
    assert build(rows).etag != build([*rows[:-1], dict(rows[-1], name="X")]).etag
