"""Request and response hygiene shared by every route: media type, security headers, CORS."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, request

from wisphub_api.errors import PayloadTooLarge, UnsupportedMediaType
from wisphub_api.translatable import N_

_BODY_METHODS = {"POST", "PUT", "PATCH"}
MULTIPART_ONLY = N_("The request body must be multipart/form-data.")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def takes_multipart(view: Callable[..., Any]) -> Callable[..., Any]:
    """Declare that a view takes a multipart/form-data body (an upload) instead of JSON.

    Such a view sets its own body limit and reads its body itself (a file is never read here).
    """
    view.takes_multipart = True  # type: ignore[attr-defined]
    return view


def _declares_multipart() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "takes_multipart", False))


def require_json_body() -> None:
    """Refuse a body sent to an API route in anything but JSON (or multipart where declared)."""
    if request.method not in _BODY_METHODS or not request.path.startswith("/api/"):
        return
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    has_body = (request.content_length or 0) > 0 or chunked
    if _declares_multipart():
        if has_body and request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType(MULTIPART_ONLY)
        return
    if has_body and not request.is_json:
        raise UnsupportedMediaType()
    # A chunked body has no Content-Length to refuse up front, and werkzeug cuts it at the
    # limit without a word: reaching the limit means it was longer.
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if chunked and len(request.get_data(cache=True)) >= limit:
        raise PayloadTooLarge()


# The security headers, lowercased, for one pass over an answer's headers.
_SECURITY = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS.items())


def missing_security_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the security headers an answer with ``headers`` lacks (a view may set one)."""
    present = {name.lower() for name, _ in headers}
    return [(name, value) for key, name, value in _SECURITY if key not in present]


def add_headers(response: Response) -> Response:
    """Add the security headers and, when configured, CORS headers to ``response``."""
    headers = response.headers
    headers.extend(missing_security_headers(headers))
    origins = current_app.config["CORS_ORIGINS"]
    origin = request.headers.get("Origin")
    if origins and origin and ("*" in origins or origin in origins):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "X-API-Key, Content-Type, X-Request-ID"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, OPTIONS"
        response.headers["Access-Control-Expose-Headers"] = "X-Request-ID, X-Cache, ETag"
        response.headers.add("Vary", "Origin")
    return response


def init_app(app: Flask) -> None:
    """Install the media-type check and the response headers on ``app``."""
    app.before_request(require_json_body)
    app.after_request(add_headers)
