"""The client list as prepared bytes: chunks of JSON, each with its own deflate segment.

The whole list (22 MB of JSON at 50,000 clients) is never serialised or compressed per request.
It is kept as chunks of a few hundred clients: each chunk's JSON, the byte offset of every client
in it, and the chunk compressed as an independent raw-deflate segment (ended by a full flush, as
pigz does). The gzip answer is a fixed header, the segments in order, a final empty block and the
CRC and length of the whole — a valid single gzip stream. Changing one client (a write laid over
the snapshot) re-serialises and recompresses one chunk, not the list; a page (``?limit&offset``)
is a slice of the chunks' bytes.
"""

from __future__ import annotations

import hashlib
import marshal
import struct
import zlib
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

# Clients per chunk: ~200 KB of JSON, ~3 ms to recompress when one of its clients changes, and
# few enough chunks (~100 at 50,000 clients) that splicing the list costs nothing.
CHUNK_CLIENTS = 512
# zlib's default level: within a few percent of level 9's size at a third of its time.
GZIP_LEVEL = 6
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no mtime, unknown OS
# Pages (``?limit&offset``) kept prepared per listing: bots walk the same few pages.
PAGES_KEPT = 64
_FINAL_BLOCK = b"\x03\x00"  # an empty final block with fixed codes: ends the deflate stream


def deflate_segment(data: bytes) -> bytes:
    """Compress ``data`` as a raw-deflate segment that can be followed by any other segment."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive clients: their ids, where each one's JSON starts, the JSON and its segment."""

    ids: array[int]
    starts: array[int]  # len(ids) + 1 offsets into ``data``; client i is data[starts[i]:...]
    data: bytes  # the clients' JSON objects joined by commas
    segment: bytes  # deflate of the chunk's wire bytes ("[" or "," then ``data``)
    crc: int  # CRC-32 of the wire bytes
    first: bool  # the first chunk opens the array with "[", the others continue it with ","

    @classmethod
    def of(cls, ids: Sequence[int], bodies: Sequence[bytes], *, first: bool) -> Chunk:
        """Build a chunk from its clients' ids and JSON bodies."""
        starts = array("I", [0])
        for body in bodies:
            starts.append(starts[-1] + len(body) + 1)
        data = b",".join(bodies)
        if bodies:
            starts[-1] -= 1  # no comma after the last client
        wire = (b"[" if first else b",") + data
        return cls(array("I", ids), starts, data, deflate_segment(wire), zlib.crc32(wire), first)

    def __len__(self) -> int:
        return len(self.ids)

    def body(self, index: int) -> bytes:
        """Return the JSON of the chunk's ``index``-th client."""
        end = self.starts[index + 1] - (1 if index + 1 < len(self.ids) else 0)
        return self.data[self.starts[index] : end]

    def bodies(self) -> list[bytes]:
        """Return every client's JSON, in order."""
        return [self.body(index) for index in range(len(self.ids))]

    def dump(self) -> bytes:
        """Serialise for an artifact."""
        return marshal.dumps(
            (
                self.ids.tobytes(),
                self.starts.tobytes(),
                self.data,
                self.segment,
                self.crc,
                self.first,
            )
        )

    @classmethod
    def load(cls, raw: bytes) -> Chunk:
        """Rebuild what ``dump`` wrote."""
        ids, starts, data, segment, crc, first = marshal.loads(raw)  # noqa: S302 - our artifact
        return cls(_array(ids), _array(starts), data, segment, crc, first)


def _array(raw: bytes) -> array[int]:
    values = array("I")
    values.frombytes(raw)
    return values


_CLOSE = b"]"


class Listing:
    """The JSON array of every client, in service-id order, as chunks (see the module docs)."""

    def __init__(self, chunks: Sequence[Chunk], crc: int | None = None) -> None:
        self.chunks = tuple(chunks)
        self._ends = array("I")  # cumulative client counts: chunk i holds [ends[i-1], ends[i])
        total = 0
        for chunk in self.chunks:
            total += len(chunk)
            self._ends.append(total)
        self.count = total
        self.size = 2 + sum(len(c.data) for c in self.chunks) + max(0, len(self.chunks) - 1)
        digest = hashlib.blake2b(digest_size=16)
        for chunk in self.chunks:
            digest.update(struct.pack("<I", chunk.crc))
        self.etag = digest.hexdigest()
        self._crc = crc
        self._gzipped: list[bytes] | None = None
        self._pages: OrderedDict[tuple[int, int], tuple[bytes, bytes]] = OrderedDict()

    @classmethod
    def build(cls, ids: Sequence[int], bodies: Sequence[bytes]) -> Listing:
        """Chunk clients given in service-id order."""
        chunks = [
            Chunk.of(ids[i : i + CHUNK_CLIENTS], bodies[i : i + CHUNK_CLIENTS], first=i == 0)
            for i in range(0, len(ids), CHUNK_CLIENTS)
        ]
        return cls(chunks)

    @property
    def crc(self) -> int:
        """Return the CRC-32 of the whole JSON array (computed once)."""
        if self._crc is None:
            crc = 0 if self.chunks else zlib.crc32(b"[")
            for chunk in self.chunks:
                crc = zlib.crc32(chunk.data, zlib.crc32(b"[" if chunk.first else b",", crc))
            self._crc = zlib.crc32(_CLOSE, crc)
        return self._crc

    def plain(self) -> list[bytes]:
        """Return the JSON array's bytes, in pieces (a response body iterable)."""
        if not self.chunks:
            return [b"[]"]
        pieces = [b"[", self.chunks[0].data]
        for chunk in self.chunks[1:]:
            pieces += [b",", chunk.data]
        pieces.append(_CLOSE)
        return pieces

    def gzipped(self) -> list[bytes]:
        """Return the JSON array gzip-compressed, in pieces: the chunks' segments as they are."""
        if self._gzipped is None:
            if not self.chunks:
                self._gzipped = [gzip_bytes(b"[]")]
            else:
                trailer = struct.pack("<II", self.crc, self.size & 0xFFFFFFFF)
                segments = [chunk.segment for chunk in self.chunks]
                self._gzipped = [_GZIP_HEADER, *segments, _CLOSE_SEGMENT, _FINAL_BLOCK, trailer]
        return self._gzipped

    def page(self, offset: int, limit: int) -> bytes:
        """Return ``limit`` clients from position ``offset`` as a JSON array (sliced bytes)."""
        if offset >= self.count or limit <= 0:
            return b"[]"
        pieces: list[bytes] = []
        taken = 0
        index = bisect_right(self._ends, offset)
        position = offset - (self._ends[index - 1] if index else 0)
        while index < len(self.chunks) and taken < limit:
            chunk = self.chunks[index]
            take = min(len(chunk) - position, limit - taken)
            last = position + take - 1
            end = chunk.starts[last + 1] - (1 if last + 1 < len(chunk) else 0)
            pieces.append(chunk.data[chunk.starts[position] : end])
            taken += take
            index, position = index + 1, 0
        return b"[" + b",".join(pieces) + b"]"

    def page_answer(self, offset: int, limit: int) -> tuple[bytes, bytes]:
        """Return a page as JSON and gzipped, kept for the pages asked most recently."""
        key = (offset, limit)
        found = self._pages.get(key)
        if found is None:
            body = self.page(offset, limit)
            found = self._pages[key] = (body, gzip_bytes(body))
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(key)
        return found

    def patched(self, changes: dict[int, bytes]) -> Listing:
        """Return the listing with clients replaced or added (their JSON, by service id).

        Only the chunks holding a change are rebuilt; an added id goes into the chunk where it
        sorts (the first one, when it sorts before every other).
        """
        if not changes:
            return self
        if not self.chunks:
            ordered = sorted(changes)
            return Listing.build(ordered, [changes[i] for i in ordered])
        pending = dict(changes)
        chunks = list(self.chunks)
        for number, chunk in enumerate(chunks):
            upper = chunks[number + 1].ids[0] if number + 1 < len(chunks) else None
            mine = {i: b for i, b in pending.items() if upper is None or i < upper}
            if not mine:
                continue
            for service_id in mine:
                del pending[service_id]
            merged = dict(zip(chunk.ids, chunk.bodies(), strict=True))
            merged.update(mine)
            ordered = sorted(merged)
            chunks[number] = Chunk.of(ordered, [merged[i] for i in ordered], first=chunk.first)
        return Listing(chunks)

    def dump(self) -> list[bytes]:
        """Serialise for an artifact: the whole array's CRC, then one part per chunk."""
        return [str(self.crc).encode(), *(chunk.dump() for chunk in self.chunks)]

    @classmethod
    def load(cls, parts: list[bytes]) -> Listing:
        """Rebuild what ``dump`` wrote, emptying ``parts`` as it goes.

        Each part is dropped once its chunk is built, so loading never holds the listing twice.
        """
        crc = int(parts[0])
        chunks = []
        for number in range(1, len(parts)):
            chunks.append(Chunk.load(parts[number]))
            parts[number] = b""
        return cls(chunks, crc=crc)


def gzip_bytes(data: bytes) -> bytes:
    """Return ``data`` as one gzip stream (for small answers prepared once)."""
    return zlib.compress(data, GZIP_LEVEL, wbits=16 + zlib.MAX_WBITS)


_CLOSE_SEGMENT = deflate_segment(_CLOSE)
