"""Helpers every blueprint uses to answer: cache headers, pre-serialised bodies, strict queries."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date, quote_etag
from werkzeug.routing import BaseConverter, Map, Rule, ValidationError

from wisphub_api.errors import InvalidParameters
from wisphub_api.i18n import N_, translate
from wisphub_api.schemas.common import ErrorSchema
from wisphub_api.services.prepared import PreparedJson
from wisphub_api.services.snapshots import CacheState

# Answers hold personal data: a client may keep them to revalidate, never a shared cache.
LIST_CACHE_CONTROL = "private, no-cache"


def with_cache_headers(response: Response, state: CacheState) -> Response:
    """Say how the answer was served (``X-Cache``) and how old its data is (``X-Cache-Age``)."""
    response.headers["X-Cache"] = state.status
    response.headers["X-Cache-Age"] = str(int(state.age))
    return response


def cached_body(prepared: PreparedJson, state: CacheState) -> Response:
    """Answer a prepared JSON body (gzipped when accepted) with its ETag; 304 if unchanged."""
    return prepared_answer([prepared.body], [prepared.gzipped], prepared.etag, state)


# What can make a GET conditional or partial; without any of them the answer is a plain 200.
_CONDITIONAL = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)
_date: tuple[int, str] = (0, "")


def _http_date() -> str:
    """Return werkzeug's ``http_date()`` of now, formatted once a second."""
    global _date
    second = int(time.time())
    if _date[0] != second:
        _date = (second, http_date(second))
    return _date[1]


def prepared_answer(
    plain: Sequence[bytes],
    gzipped: Sequence[bytes],
    etag: str,
    state: CacheState,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> Response:
    """Answer bytes prepared in advance, in pieces, gzipped when accepted; 304 if unchanged.

    The headers are written in one go; werkzeug's make_conditional runs only when the request
    carries a conditional or range header, else it would only have added ``Date``.
    """
    req = request._get_current_object()  # type: ignore[attr-defined]
    conditional = is_conditional(req.environ)
    body, headers = prepared_parts(
        plain, gzipped, etag, state, bool(req.accept_encodings["gzip"]), conditional
    )
    response = Response(body, content_type="application/json")
    response.headers.extend([*headers, *extra_headers])
    if conditional:
        response.make_conditional(req)
    return response


def is_conditional(environ: Mapping[str, Any]) -> bool:
    """Tell whether a request carries a conditional or range header."""
    return any(name in environ for name in _CONDITIONAL)


def prepared_parts(
    plain: Sequence[bytes],
    gzipped: Sequence[bytes],
    etag: str,
    state: CacheState,
    gzip: bool,
    conditional: bool,
) -> tuple[Sequence[bytes], list[tuple[str, str]]]:
    """Return the body of a prepared answer and its headers after ``Content-Type``.

    ``prepared_answer`` and the fast lane (wisphub_api/fastlane.py) both answer with these.
    """
    if gzip:
        body, tag = gzipped, quote_etag(etag + "-gzip")  # each representation has its own tag
        encoding: list[tuple[str, str]] = [("Content-Encoding", "gzip")]
    else:
        body, tag, encoding = plain, quote_etag(etag), []
    headers = [
        *encoding,
        ("ETag", tag),
        ("Content-Length", str(sum(map(len, body)))),
        ("Vary", "Accept-Encoding"),
        ("Cache-Control", LIST_CACHE_CONTROL),
        *(() if conditional else [("Date", _http_date())]),
        *cache_headers(state),
    ]
    return body, headers


def cache_headers(state: CacheState) -> list[tuple[str, str]]:
    """Return ``X-Cache`` and ``X-Cache-Age`` of an answer served from a snapshot."""
    return [("X-Cache", state.status), ("X-Cache-Age", str(int(state.age)))]


def bytes_answer(body: bytes, state: CacheState) -> Response:
    """Answer JSON bytes taken from the snapshot as they are, with the cache headers."""
    response = Response(body, content_type="application/json")
    response.headers.extend(cache_headers(state))
    return response


def json_answer(data: Any, state: CacheState, status: int = 200) -> Response:
    """Answer ``data`` as JSON with the cache headers."""
    response = jsonify(data)
    response.status_code = status
    return with_cache_headers(response, state)


def no_query_parameters(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse query parameters on a route that takes none, rather than silently ignore them."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.args:
            unknown = {name: [N_("Unknown field.")] for name in request.args}
            raise InvalidParameters(N_("This route takes no query parameters."), errors=unknown)
        return view(*args, **kwargs)

    return wrapper


def refuse_repeated_parameters() -> None:
    """Refuse ``?q=a&q=b``: taking one value would silently drop the other."""
    repeated = [name for name, values in request.args.lists() if len(values) > 1]
    if repeated and request.path.startswith("/api/"):
        errors = {name: [N_("Given more than once.")] for name in repeated}
        raise InvalidParameters(N_("A query parameter was given more than once."), errors=errors)


# Largest id WispHub uses (a PostgreSQL integer); longer digit strings are not ids.
MAX_ID = 2**31 - 1


def _valid_id(value: str) -> bool:
    # Length first: int() of thousands of digits is slow, and refused past 4,300.
    return len(value) <= 10 and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID


class IdConverter(BaseConverter):
    """A positive whole-number id of ASCII digits in a path (fullwidth digits are no id)."""

    regex = r"[0-9]{1,10}"
    part_isolating = True
    parameter = "id"  # the name the caller sees in ``errors``

    def to_python(self, value: str) -> int:
        """Return the id; an out-of-range number does not match the route."""
        if not _valid_id(value):
            raise ValidationError()
        return int(value)

    def to_url(self, value: Any) -> str:
        """Write an id back into a URL."""
        return str(int(value))


class ServiceIdConverter(IdConverter):
    """``<service_id:service_id>``: a WispHub service id."""

    parameter = "service_id"


class PlanIdConverter(IdConverter):
    """``<plan_id:plan_id>``: a WispHub internet plan id."""

    parameter = "plan_id"


class TicketIdConverter(IdConverter):
    """``<ticket_id:ticket_id>``: a WispHub ticket id."""

    parameter = "ticket_id"


class ZoneIdConverter(IdConverter):
    """``<zone_id:zone_id>``: a WispHub zone id."""

    parameter = "zone_id"


class InvoiceIdConverter(IdConverter):
    """``<invoice_id:invoice_id>``: a WispHub invoice id."""

    parameter = "invoice_id"


ID_CONVERTERS: dict[str, type[IdConverter]] = {
    "service_id": ServiceIdConverter,
    "plan_id": PlanIdConverter,
    "ticket_id": TicketIdConverter,
    "zone_id": ZoneIdConverter,
    "invoice_id": InvoiceIdConverter,
}


class _AnySegment(BaseConverter):
    """Whatever stands where an id should (the shadow map of ``bad_id_parameters``)."""

    regex = r"[^/]+"
    part_isolating = True
    parameter = "id"


SHADOW_KEY = "wisphub_api.id_shadow_map"


def _shadow_map(url_map: Map) -> Map:
    """Return the id routes of ``url_map`` with any segment accepted where an id goes."""
    rules = [
        Rule(rule.rule, methods=rule.methods, endpoint=rule.endpoint)
        for rule in url_map.iter_rules()
        if any(isinstance(c, IdConverter) for c in rule._converters.values())
    ]
    converters = {
        name: type(f"Any{kind.__name__}", (_AnySegment,), {"parameter": kind.parameter})
        for name, kind in ID_CONVERTERS.items()
    }
    return Map(rules, converters=converters)


def bad_id_parameters(app: Flask, path: str, method: str) -> InvalidParameters | None:
    """Explain a 404 whose path is an id route with something other than an id in it.

    Only consulted for a 404: ``PUT /clients/search`` stays a 405, while
    ``GET /clients/by-service-id/abc`` says that ``service_id`` must be a number.
    """
    shadow = app.extensions.get(SHADOW_KEY)
    if shadow is None:
        shadow = app.extensions[SHADOW_KEY] = _shadow_map(app.url_map)
    try:
        rule, values = shadow.bind("").match(path, method, return_rule=True)
    except HTTPException:
        return None
    bad = [
        converter.parameter
        for name, converter in rule._converters.items()
        if isinstance(converter, _AnySegment) and not _valid_id(str(values[name]))
    ]
    if not bad:
        return None
    message = translate(N_("Must be a whole number between 1 and {max}.")).format(max=MAX_ID)
    return InvalidParameters(
        translate(N_("The {name} in the URL must be a whole number.")).format(name=bad[0]),
        errors={name: [message] for name in bad},
    )


def id_param_schema(converter: BaseConverter) -> dict[str, Any]:
    """Describe an ``IdConverter`` parameter in OpenAPI."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


_ERROR_DESCRIPTIONS = {
    400: "Not JSON, or required fields missing.",
    401: "Missing or wrong X-API-Key.",
    403: "Refused: a feature this ISP turned off, or a permission WispHub Net refuses this "
    "service's key.",
    404: "Not found.",
    409: "A conflict: more than one client matches, a known outage refuses a ticket, or the "
    "first request with this Idempotency-Key still runs.",
    413: "Body over the size limit.",
    415: "Body is not JSON.",
    422: "A field or query parameter of the wrong type, out of range, or unknown.",
    429: "Too many failed verifications; see Retry-After.",
    502: "WispHub Net gave an unusable answer.",
    503: "WispHub Net (or a store this service needs) is unavailable and nothing cached covers "
    "the question; see Retry-After.",
    504: "WispHub Net did not answer in time.",
}
UPSTREAM_ERRORS = (502, 503, 504)


def documents_errors(bp, *statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the error answers a route can give (401 and upstream failures always)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        documented = view
        for status in sorted({401, *statuses, *UPSTREAM_ERRORS}):
            documented = bp.alt_response(
                status, schema=ErrorSchema, description=_ERROR_DESCRIPTIONS[status]
            )(documented)
        # alt_response only documents, through a wrapper that calls the view: keep its
        # documentation and drop the wrappers, which would run on every request.
        view._apidoc = documented._apidoc  # type: ignore[attr-defined]
        return view

    return decorator
