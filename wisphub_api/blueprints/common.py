"""Helpers every blueprint uses to answer: cache headers, pre-serialised bodies, strict queries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request

from wisphub_api.errors import ApiError
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
    if request.accept_encodings["gzip"]:
        response = Response(prepared.gzipped, mimetype="application/json")
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(prepared.etag + "-gzip")  # each representation has its own tag
    else:
        response = Response(prepared.body, mimetype="application/json")
        response.set_etag(prepared.etag)
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    response.make_conditional(request)
    return with_cache_headers(response, state)


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
            unknown = {name: ["Unknown field."] for name in request.args}
            raise ApiError(
                "This route takes no query parameters.",
                status=422,
                code="validation_error",
                errors=unknown,
            )
        return view(*args, **kwargs)

    return wrapper


_ERROR_DESCRIPTIONS = {
    400: "Not JSON, or required fields missing.",
    401: "Missing or wrong X-API-Key.",
    404: "Not found.",
    409: "More than one client matches.",
    413: "Body over the size limit.",
    415: "Body is not JSON.",
    422: "A field or query parameter of the wrong type, out of range, or unknown.",
    429: "Too many failed verifications; see Retry-After.",
    502: "WispHub Net gave an unusable answer.",
    503: "WispHub Net is unavailable and no cached data covers the question.",
    504: "WispHub Net did not answer in time.",
}
UPSTREAM_ERRORS = (502, 503, 504)


def documents_errors(bp, *statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the error answers a route can give (401 and upstream failures always)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        for status in sorted({401, *statuses, *UPSTREAM_ERRORS}):
            view = bp.alt_response(
                status, schema=ErrorSchema, description=_ERROR_DESCRIPTIONS[status]
            )(view)
        return view

    return decorator
