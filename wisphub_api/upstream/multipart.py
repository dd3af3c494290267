"""A multipart/form-data body streamed from its file, never read into memory whole.

requests' ``files=`` reads each file into memory and encodes the whole body again; a receipt of
several megabytes would be held twice. ``MultipartBody`` knows its exact length (so it is sent
with ``Content-Length``, not chunked) and yields the text fields, then the file in chunks, then
the closing boundary.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from typing import BinaryIO

CHUNK = 64 * 1024


def _quoted(value: str) -> str:
    """Quote a name for a Content-Disposition parameter (no quotes or line breaks inside)."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")


def file_size(stream: BinaryIO) -> int:
    """Return the bytes from the stream's current position to its end (the position is kept)."""
    start = stream.tell()
    end = stream.seek(0, os.SEEK_END)
    stream.seek(start)
    return end - start


class MultipartBody:
    """Text fields and one file as a streamed multipart/form-data body."""

    def __init__(
        self,
        fields: Mapping[str, str],
        *,
        file_field: str,
        filename: str,
        content_type: str,
        stream: BinaryIO,
    ) -> None:
        self.boundary = uuid.uuid4().hex
        dash = f"--{self.boundary}\r\n"
        parts = [
            f'{dash}Content-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        parts.append(
            f'{dash}Content-Disposition: form-data; name="{_quoted(file_field)}"; '
            f'filename="{_quoted(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        self._head = "".join(parts).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._stream = stream
        self._size = file_size(stream)

    @property
    def content_type(self) -> str:
        """Return the Content-Type header of this body (with its boundary)."""
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        left = self._size
        while left > 0:
            chunk = self._stream.read(min(CHUNK, left))
            if not chunk:
                raise OSError("the file ended before its size")
            left -= len(chunk)
            yield chunk
        yield self._tail
