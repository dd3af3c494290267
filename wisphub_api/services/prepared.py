"""Answers prepared once per snapshot: JSON bytes, their gzip form and their ETag."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from typing import Any

# Level 6 is zlib's default: within a few percent of level 9's size at a third of its time,
# and it runs once per snapshot, not per request.
GZIP_LEVEL = 6


def encode_json(value: Any) -> bytes:
    """Serialise ``value`` the way every answer of the API is serialised."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class PreparedJson:
    """One JSON answer in both encodings, with a strong ETag for each."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, value: Any) -> PreparedJson:
        """Serialise, compress and tag ``value`` once."""
        body = encode_json(value)
        return cls(
            body=body,
            gzipped=gzip.compress(body, GZIP_LEVEL, mtime=0),
            etag=hashlib.blake2b(body, digest_size=16).hexdigest(),
        )
