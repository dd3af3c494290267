"""Compact inverted lists: text keys in one bytes blob, and for each the positions that have it.

A dict of 100,000 frozensets costs a second to build, a second to unpickle and tens of MB; so do
100,000 keys as Python strings (20 MB at 50,000 clients, 60-odd bytes each). Here the keys are
sorted and kept as their UTF-8 bytes end to end in one blob with an ``array('I')`` of where each
starts, plus an open-addressing table of their ranks by CRC-32 for exact lookups (one C hash and
a compare or two, about what bisecting a list of strings cost); prefix ranges bisect the blob.
Positions are two flat ``array('I')``: a key's positions come back as an array slice, in the
order they were given. Everything loads with ``marshal`` and ``frombytes`` in milliseconds.
"""

from __future__ import annotations

import marshal
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from zlib import crc32

_EMPTY: array[int] = array("I")
# Surrogates survive the round trip (a query may carry a lone one); byte order stays code order.
_ERRORS = "surrogatepass"
_PAST_EVERY_KEY = b"\xff"  # never in UTF-8: raw + this sorts after every key starting with raw
# Every this many keys one is kept as bytes of its own: a prefix range bisects those in C, then
# a block of this many by rank (a few Python calls instead of seventeen).
_FENCE = 32


def _encode(key: str) -> bytes:
    return key.encode("utf-8", _ERRORS)


def _hash_table(blob: bytes, starts: array[int]) -> array[int]:
    """Return the slots (rank + 1, 0 when free) of every key, at most half of them used."""
    size = 8
    while size < 2 * (len(starts) - 1):
        size *= 2
    mask, table = size - 1, array("I", bytes(4 * size))
    for rank in range(len(starts) - 1):
        slot = crc32(blob[starts[rank] : starts[rank + 1]]) & mask
        while table[slot]:
            slot = (slot + 1) & mask
        table[slot] = rank + 1
    return table


class Postings:
    """An immutable mapping of text keys to sequences of positions."""

    __slots__ = ("_blob", "_fence", "_mask", "_offsets", "_starts", "_table", "_values")

    def __init__(
        self,
        blob: bytes,
        starts: array[int],
        table: array[int],
        offsets: array[int],
        values: array[int],
    ) -> None:
        self._blob = blob  # the sorted keys' UTF-8 bytes, end to end
        self._starts = starts  # len(keys) + 1 bounds into blob
        self._table = table  # rank + 1 of each key at crc32(its bytes), linear probing
        self._mask = len(table) - 1
        self._offsets = offsets  # len(keys) + 1 bounds into values
        self._values = values
        self._fence = [self._raw(rank) for rank in range(0, len(self), _FENCE)]

    @classmethod
    def build(cls, mapping: Mapping[str, Iterable[int]]) -> Postings:
        """Freeze ``mapping``; each key's positions keep the order they were given in."""
        keys = sorted(mapping)
        offsets, values = array("I", [0]), array("I")
        for key in keys:
            values.extend(mapping[key])
            offsets.append(len(values))
        return cls._of_keys(keys, offsets, values)

    @classmethod
    def _of_keys(cls, keys: Sequence[str], offsets: array[int], values: array[int]) -> Postings:
        encoded = [_encode(key) for key in keys]
        starts = array("I", [0])
        for raw in encoded:
            starts.append(starts[-1] + len(raw))
        blob = b"".join(encoded)
        return cls(blob, starts, _hash_table(blob, starts), offsets, values)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def _raw(self, rank: int) -> bytes:
        return self._blob[self._starts[rank] : self._starts[rank + 1]]

    def key(self, rank: int) -> str:
        """Return the key of rank ``rank`` (keys are ranked in sorted order)."""
        return self._raw(rank).decode("utf-8", _ERRORS)

    def keys(self) -> list[str]:
        """Return every key, sorted."""
        return [self.key(rank) for rank in range(len(self))]

    def longest(self) -> int:
        """Return the length in UTF-8 bytes of the longest key (never less than in characters)."""
        starts = self._starts
        return max((starts[i + 1] - starts[i] for i in range(len(self))), default=0)

    def index(self, key: str) -> int:
        """Return the rank of ``key`` among the keys, or -1 when it is absent."""
        raw = _encode(key)
        table, mask, starts, blob = self._table, self._mask, self._starts, self._blob
        slot = crc32(raw) & mask
        while found := table[slot]:
            if blob[starts[found - 1] : starts[found]] == raw:
                return found - 1
            slot = (slot + 1) & mask
        return -1

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.index(key) >= 0

    def get(self, key: str) -> Sequence[int]:
        """Return the positions of ``key`` (empty when absent)."""
        rank = self.index(key)
        return _EMPTY if rank < 0 else self.at(rank)

    def at(self, rank: int) -> Sequence[int]:
        """Return the positions of the key of rank ``rank``."""
        return self._values[self._offsets[rank] : self._offsets[rank + 1]]

    def size(self, key: str) -> int:
        """Return how many positions ``key`` has."""
        rank = self.index(key)
        return 0 if rank < 0 else self._offsets[rank + 1] - self._offsets[rank]

    def _first_not_below(self, raw: bytes, low: int) -> int:
        """Return the rank of the first key whose bytes are not below ``raw`` (bisect_left)."""
        block = bisect_left(self._fence, raw)  # the key of rank block * _FENCE is not below
        high = min(block * _FENCE, len(self))
        low = max(low, (block - 1) * _FENCE + 1) if block else low
        return bisect_left(range(len(self)), raw, low, high, key=self._raw)

    def prefixed_ranks(self, prefix: str) -> range:
        """Return the ranks of the keys that start with ``prefix`` (``prefix`` itself included)."""
        raw = _encode(prefix)
        start = self._first_not_below(raw, 0)
        return range(start, self._first_not_below(raw + _PAST_EVERY_KEY, start))

    def prefixed(self, prefix: str) -> list[str]:
        """Return the keys that start with ``prefix``, in order (``prefix`` itself included)."""
        return [self.key(rank) for rank in self.prefixed_ranks(prefix)]

    def dump(self) -> bytes:
        """Serialise for an artifact (see ``load``)."""
        arrays = (self._starts, self._table, self._offsets, self._values)
        return marshal.dumps((self._blob, *(part.tobytes() for part in arrays)))

    @classmethod
    def load(cls, data: bytes | memoryview) -> Postings:
        """Rebuild what ``dump`` wrote (or what it wrote before keys were a blob)."""
        parts = marshal.loads(data)  # noqa: S302 - our own artifact
        if len(parts) == 3:  # (keys as strings, offsets, values): a snapshot of an older release
            keys, offsets, values = parts
            return cls._of_keys(keys, _array(offsets), _array(values))
        blob, starts, table, offsets, values = parts
        return cls(blob, _array(starts), _array(table), _array(offsets), _array(values))


def _array(raw: bytes) -> array[int]:
    values = array("I")
    values.frombytes(raw)
    return values
