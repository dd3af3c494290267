"""Read just enough of a request's raw bytes to refuse it, without gunicorn's parser.

While a worker sheds load, most of what it reads it answers 503, and gunicorn's parser (a Python
object per request, every header split, decoded and checked, the peer matched against
``forwarded_allow_ips``) was a third of a refusal's CPU, measured with py-spy at twice the
sustainable rate. A refusal needs much less: the path (health checks are never refused), whether
the connection may stay open, the request id to echo and the language to answer in.

``quick_head`` reads those from bytes already received, and only from the plainest case: one
complete HTTP/1.1 request, with no body or a ``Content-Length`` body received whole, and nothing
after it. Anything else (HTTP/1.0, a chunked body, a request cut across reads, pipelined
requests, a malformed line) returns None, and the request goes through gunicorn's parser as
every served request does. So this never decides where a request ends when gunicorn would
decide otherwise: the bytes it takes are exactly one request's, or it takes none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEAD_END = b"\r\n\r\n"

# "GET /path?query HTTP/1.1": an upper-case token method, an origin-form target with no spaces
# or controls, the one version kept alive by default.
_REQUEST_LINE = re.compile(rb"([A-Z]{1,20}) (/[\x21-\x7e]*) HTTP/1\.1")
_CONTENT_LENGTH = re.compile(rb"[0-9]{1,10}")
# The header lines after it, lower-cased: each a token name, a colon right after it, a value of
# visible characters, spaces and tabs. A space before the colon, a folded line or a control
# character is something gunicorn refuses with 400; the full parser is left to say so.
_FIELDS = re.compile(rb"(?:\r\n[!#$%&'*+\-.^_`|~0-9a-z]+:[\t\x20-\x7e\x80-\xff]*)*")
# Header names, lower-cased, each with the CRLF before it so that only a name at a line's start
# matches (never a value that contains the text).
_CONTENT_LENGTH_NAME = b"\r\ncontent-length:"
_TRANSFER_ENCODING_NAME = b"\r\ntransfer-encoding:"
_CONNECTION_NAME = b"\r\nconnection:"
_EXPECT_NAME = b"\r\nexpect:"
_UPGRADE_NAME = b"\r\nupgrade:"


@dataclass(frozen=True, slots=True)
class QuickHead:
    """What a refusal needs of one request."""

    method: str
    path: str
    keep_alive: bool
    request_id: str | None
    accept_language: str


def quick_head(data: bytes, id_header: bytes) -> QuickHead | None:
    """Return the one plain request ``data`` holds whole, or None for anything else.

    ``id_header`` is the request id header's name, lower-case (b"x-request-id").
    """
    end = data.find(HEAD_END)
    if end < 0:
        return None
    head = data[:end]
    line_end = head.find(b"\r\n")
    request_line = head if line_end < 0 else head[:line_end]
    match = _REQUEST_LINE.fullmatch(request_line)
    if match is None:
        return None
    # Header values are latin-1 and names ASCII: lower() changes names only where it matters.
    fields = head[len(request_line) :].lower()
    if _FIELDS.fullmatch(fields) is None or not _body_fits(data, end + len(HEAD_END), fields):
        return None
    # A request that asks for more than an answer (100-continue, a protocol switch) is left
    # to the full parser, which knows how to refuse it.
    if _EXPECT_NAME in fields or _UPGRADE_NAME in fields:
        return None
    target = match.group(2)
    query = target.find(b"?")
    connection = _value(head, fields, _CONNECTION_NAME)
    return QuickHead(
        method=match.group(1).decode("ascii"),
        path=(target if query < 0 else target[:query]).decode("ascii"),
        keep_alive=connection is None or b"close" not in connection.lower(),
        request_id=_text(_value(head, fields, b"\r\n" + id_header + b":")),
        accept_language=_text(_value(head, fields, b"\r\naccept-language:")) or "",
    )


def _body_fits(data: bytes, body_start: int, fields: bytes) -> bool:
    """Tell whether everything after the head is exactly its Content-Length body."""
    if _TRANSFER_ENCODING_NAME in fields:
        return False
    at = fields.find(_CONTENT_LENGTH_NAME)
    if at < 0:
        return body_start == len(data)
    if fields.find(_CONTENT_LENGTH_NAME, at + 1) >= 0:
        return False  # two lengths: the full parser refuses that
    value = _value(fields, fields, _CONTENT_LENGTH_NAME)
    if value is None or _CONTENT_LENGTH.fullmatch(value) is None:
        return False
    return body_start + int(value) == len(data)


def _value(head: bytes, fields: bytes, name: bytes) -> bytes | None:
    """Return the first value of the header ``name`` (lower-case, CRLF first), or None."""
    at = fields.find(name)
    if at < 0:
        return None
    # ``fields`` is ``head`` without its request line: the same offsets, shifted by that line.
    shift = len(head) - len(fields)
    start = at + len(name)
    value_end = fields.find(b"\r\n", start)
    value = head[shift + start : None if value_end < 0 else shift + value_end]
    return value.strip(b" \t")


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")
