"""Raw HTTP/1.1 answers in the API's error shape, for requests that never reach the app."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from gunicorn.http import errors as parse_errors

from wisphub_api.translatable import N_

# (status, reason phrase, code, detail) of every refusal the worker writes itself; the detail is
# the catalogues' English msgid, said in the request's language (or DEFAULT_LANGUAGE).
BAD_REQUEST = (400, "Bad Request", "bad_request", N_("The request is not valid HTTP."))
FORBIDDEN = (403, "Forbidden", "forbidden", N_("The request is not allowed."))
URI_TOO_LONG = (414, "URI Too Long", "uri_too_long", N_("The request line is too long."))
EXPECTATION_FAILED = (
    417,
    "Expectation Failed",
    "expectation_failed",
    N_("The Expect header cannot be met."),
)
HEADERS_TOO_LARGE = (
    431,
    "Request Header Fields Too Large",
    "headers_too_large",
    N_("The request headers are too many or too large."),
)
INTERNAL_ERROR = (500, "Internal Server Error", "internal_error", N_("An internal error occurred."))
NOT_IMPLEMENTED = (
    501,
    "Not Implemented",
    "not_implemented",
    N_("The request's transfer coding is not supported."),
)
OVERLOADED = (
    503,
    "Service Unavailable",
    "overloaded",
    N_("The service is busy; retry after the time in Retry-After."),
)
Refusal = tuple[int, str, str, str]

# gunicorn's parse errors by the answer they get; anything else it refuses is a 400.
_BY_ERROR: tuple[tuple[tuple[type[BaseException], ...], Refusal], ...] = (
    # A header the app tried to send is the app's fault, not the client's.
    ((parse_errors.InvalidResponseHeader, parse_errors.InvalidResponseHeaderName), INTERNAL_ERROR),
    ((parse_errors.LimitRequestLine,), URI_TOO_LONG),
    ((parse_errors.LimitRequestHeaders,), HEADERS_TOO_LARGE),
    ((parse_errors.UnsupportedTransferCoding,), NOT_IMPLEMENTED),
    ((parse_errors.ExpectationFailed,), EXPECTATION_FAILED),
    ((parse_errors.ForbiddenProxyRequest,), FORBIDDEN),
    ((parse_errors.ConfigurationProblem,), INTERNAL_ERROR),
)
_CLIENT_ERRORS: tuple[type[BaseException], ...] = (parse_errors.ParseException,)
# Always sent: these answers hold no data, and nothing may sniff or keep them.
_STATIC_HEADERS = (
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
)


def refusal_for(error: BaseException) -> Refusal | None:
    """Return the answer to a request gunicorn's parser refused, or None for other errors."""
    for types, refusal in _BY_ERROR:
        if isinstance(error, types):
            return refusal
    return BAD_REQUEST if isinstance(error, _CLIENT_ERRORS) else None


_CATALOGUES = Path(__file__).resolve().parent.parent / "translations"


@cache
def _catalogue(language: str) -> NullTranslations:
    """Return the compiled catalogue of ``language`` (read once per worker)."""
    return Translations.load(str(_CATALOGUES), [language])


def json_answer(
    refusal: Refusal,
    *,
    headers: Iterable[tuple[str, str]] = (),
    keep_alive: bool = False,
    language: str = "en",
) -> bytes:
    """Return the bytes of a complete answer: status line, headers, ``{"detail", "code"}``."""
    status, reason, code, detail = refusal
    detail = _catalogue(language).gettext(detail)
    body = json.dumps({"detail": detail, "code": code}).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
    extra += f"Content-Language: {language}\r\nVary: Accept-Language\r\n"
    connection = "keep-alive" if keep_alive else "close"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n{_STATIC_HEADERS}{extra}"
        f"Content-Length: {len(body)}\r\nConnection: {connection}\r\n\r\n"
    )
    return head.encode("latin-1") + body


# Stands for the request id in a cached answer; only ever split on, never sent.
_ID_MARK = "\x00request-id\x00"


def json_answer_for(
    refusal: Refusal,
    request_id: str,
    *,
    id_header: str,
    headers: tuple[tuple[str, str], ...] = (),
    keep_alive: bool = False,
    language: str = "en",
) -> bytes:
    """Return ``json_answer`` with ``headers`` then ``id_header: request_id``, from a cached copy.

    Under overload the worker writes thousands of these a second, and rendering each (catalogue,
    JSON, header text) was a tenth of a refusal's CPU; only the request id differs between them.
    """
    before, after = _answer_template(refusal, id_header, headers, keep_alive, language)
    return before + request_id.encode("latin-1") + after


@lru_cache(maxsize=64)
def _answer_template(
    refusal: Refusal,
    id_header: str,
    headers: tuple[tuple[str, str], ...],
    keep_alive: bool,
    language: str,
) -> tuple[bytes, bytes]:
    """Return the answer's bytes before and after its request id."""
    raw = json_answer(
        refusal,
        headers=(*headers, (id_header, _ID_MARK)),
        keep_alive=keep_alive,
        language=language,
    )
    before, after = raw.split(_ID_MARK.encode("latin-1"))
    return before, after
