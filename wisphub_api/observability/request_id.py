"""Give every request an id: the caller's ``X-Request-ID`` when it is sane, else a new one."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
# Short and free of spaces, quotes and control characters, so it is safe in logs and headers.
_VALID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def is_valid(value: str) -> bool:
    """Tell whether a caller's request id may be kept as it is."""
    return _VALID.fullmatch(value) is not None


def new_request_id() -> str:
    """Return a fresh request id."""
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """Return the current request's id, choosing it on first use; None outside a request."""
    if not has_request_context():
        return None
    value = g.get("request_id")
    if value is None:
        # Chosen lazily so that a request refused by an earlier hook (401, 415) still gets one.
        given = request.headers.get(HEADER, "")
        value = g.request_id = given if is_valid(given) else new_request_id()
    return value


def _assign() -> None:
    current_request_id()


def _answer_with_id(response: Response) -> Response:
    response.headers[HEADER] = current_request_id() or new_request_id()
    return response


def init_app(app: Flask) -> None:
    """Assign the id before the views run and return it on every answer, errors included."""
    app.before_request(_assign)
    app.after_request(_answer_with_id)
