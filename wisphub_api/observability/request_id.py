"""Give every request an id: the caller's ``X-Request-ID`` when it is sane, else a new one."""

from __future__ import annotations

from flask import g, has_request_context, request

from wisphub_api.observability.requestlog import REQUEST_ID_HEADER as HEADER
from wisphub_api.observability.requestlog import is_valid_request_id as is_valid
from wisphub_api.observability.requestlog import new_request_id, request_id_from

__all__ = ["HEADER", "current_request_id", "is_valid", "new_request_id"]


def current_request_id() -> str | None:
    """Return the current request's id, choosing it on first use; None outside a request."""
    if not has_request_context():
        return None
    value = g.get("request_id")
    if value is None:
        # Chosen lazily so that a request refused by an earlier hook (401, 415) still gets one.
        value = g.request_id = request_id_from(request.headers.get(HEADER))
    return value
