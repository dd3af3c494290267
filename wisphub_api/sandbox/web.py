"""Small helpers shared by the sandbox's views: JSON answers, upstream bodies, the state."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Response, current_app, g, request

from wisphub_api.sandbox.listing import envelope, limit_offset
from wisphub_api.sandbox.state import SandboxState

T = TypeVar("T")
STATE_KEY = "wisphub_sandbox"
DROP_KEY = "wisphub_sandbox.drop"  # environ flag: close the connection without an answer
# One body for a missing, malformed or unknown key, as upstream (DRF's NotAuthenticated).
FORBIDDEN_BODY = {"detail": "Las credenciales de autenticación no se proveyeron."}
NOT_FOUND_BODY = {"detail": "No encontrado."}
SHORT_COUNT_EXTRA = 25  # the short_count fault announces rows that paging never yields
# What Django answers with DEBUG off when a view crashes: HTML, not JSON.
SERVER_ERROR_HTML = (
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    "<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)


def state() -> SandboxState:
    """Return the running sandbox's state."""
    return current_app.extensions[STATE_KEY]


def json_response(data: Any, status: int = 200) -> Response:
    """Answer JSON the way DRF renders it: UTF-8, compact, fields in declaration order."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json")


def server_error() -> Response:
    """Answer a Django-style HTML 500."""
    return Response(SERVER_ERROR_HTML, status=500, mimetype="text/html")


def throttled(retry_after: int) -> Response:
    """Answer DRF's Throttled: 429, `Retry-After: N` and its Spanish detail."""
    unit = "segundo" if retry_after == 1 else "segundos"
    detail = "Solicitud fue regulada (throttled). "
    detail += f"Se espera que esté disponible en {retry_after} {unit}."
    response = json_response({"detail": detail}, 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def count_rows(rows: int) -> None:
    """Record how many rows this call returns, for the per-row latency."""
    g.sandbox_rows = rows


def fault_mode() -> str | None:
    """Return the body-shaping fault (missing_fields, short_count...) this call suffers."""
    return getattr(g, "sandbox_mode", None)


class DropConnection(Exception):
    """Raised to the server so it closes the connection without any HTTP answer."""


class DropMiddleware:
    """Turn the `down` fault's environ flag into DropConnection once Flask is done."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Run the Flask app; raise DropConnection instead of answering when flagged."""
        result = self.app(environ, start_response)
        if environ.get(DROP_KEY):
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise DropConnection
        return result


def base_url() -> str:
    """Return this request's absolute URL without query, as next/previous links start."""
    # Behind a TLS proxy a well-configured Django trusts X-Forwarded-Proto; --http-next models
    # a tenant that does not, and so links over http:// as api.wisphub.io was seen to do.
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme)
    if state().options.http_next:
        scheme = "http"
    return f"{scheme}://{request.host}{request.path}"


def paginated(items: Sequence[T], shape: Callable[[T], Any]) -> Response:
    """Answer one limit/offset page of `items`, each passed through `shape`, in the envelope."""
    options = state().options
    limit, offset = limit_offset(request.args, options.default_limit, options.max_limit)
    page = [shape(item) for item in items[offset : offset + limit]]
    count_rows(len(page))
    extra = SHORT_COUNT_EXTRA if fault_mode() == "short_count" else 0
    body = envelope(page, len(items) + extra, limit, offset, base_url(), request.args)
    return json_response(body)


def found(body: Any) -> Response:
    """Answer `body` as one row, or DRF's JSON 404 when it is None."""
    if body is None:
        return json_response(NOT_FOUND_BODY, 404)
    count_rows(1)
    return json_response(body)


def bad_request(message: str, **extra: Any) -> Response:
    """Answer 400 the way WispHub explains a rejection: {"error": ...} (plus any `extra`)."""
    return json_response({"error": message, **extra}, 400)


def request_fields() -> dict[str, Any] | None:
    """Return a POST body's fields from a form (multipart or urlencoded) or a JSON object."""
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # Django's QueryDict answers the last value of a repeated field.
        return {key: values[-1] for key, values in request.form.lists()}
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else None
