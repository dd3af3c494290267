"""Guard every ``/api`` route with the ``X-API-Key`` header."""

from __future__ import annotations

import hmac

from flask import Flask, current_app, request

from wisphub_api.errors import Unauthorized

HEADER = "X-API-Key"
PROTECTED_PREFIX = "/api/"


def key_is_valid(candidate: str, accepted: list[str]) -> bool:
    """Compare ``candidate`` with every accepted key in constant time."""
    given = candidate.encode()
    # No early exit: the time taken does not tell which key (or how much of one) matched.
    matches = [hmac.compare_digest(given, key.encode()) for key in accepted]
    return any(matches)


def require_api_key() -> None:
    """Refuse a request under ``/api/`` that lacks an accepted key."""
    if not request.path.startswith(PROTECTED_PREFIX) or request.method == "OPTIONS":
        return
    candidate = request.headers.get(HEADER, "")
    if not candidate or not key_is_valid(candidate, current_app.config["WISPHUB_INTERNAL_API_KEY"]):
        raise Unauthorized(headers={"WWW-Authenticate": HEADER})


def init_app(app: Flask) -> None:
    """Install the key guard before every request of ``app``."""
    app.before_request(require_api_key)
