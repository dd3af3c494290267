"""Typed failures of WispHub Net calls.

Messages are safe to log and to show: they name the method, the path template and the status,
never a response body, a key, a document, a phone or an address. Callers translate them into their
own answers.
"""

from __future__ import annotations

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError


class UpstreamError(Exception):
    """Base of every WispHub Net failure; carries a safe message and the upstream status, if any."""

    code = "upstream_error"
    default_message = "WispHub Net call failed"

    def __init__(
        self, message: str | None = None, *, status: int | None = None, sent: bool = True
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        # False only when WispHub certainly did not act on the request (it was never sent, or
        # WispHub refused it outright with a 429): a write may then be tried again safely.
        self.sent = sent
        super().__init__(self.message)


class UpstreamAuthError(UpstreamError):
    """WispHub refused our key (401/403: missing, wrong, or lacking permission look the same)."""

    code = "upstream_auth"
    default_message = "WispHub Net refused the API key"


class UpstreamNotFound(UpstreamError):
    """WispHub has no such object (404, or a filtered lookup that matched nothing)."""

    code = "upstream_not_found"
    default_message = "WispHub Net has no such object"


class UpstreamUnavailable(UpstreamError):
    """WispHub is down or unreachable (5xx, refused/reset connection, too many redirects)."""

    code = "upstream_unavailable"
    default_message = "WispHub Net is unavailable"


class UpstreamRateLimited(UpstreamUnavailable):
    """WispHub answered 429 (it did not act on the request), or an earlier 429 still holds."""

    code = "upstream_rate_limited"
    default_message = "WispHub Net asked to slow down"

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float,
        status: int | None = 429,
        sent: bool = False,
    ) -> None:
        super().__init__(message, status=status, sent=sent)
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    """WispHub did not connect or answer within the configured timeout."""

    code = "upstream_timeout"
    default_message = "WispHub Net did not answer in time"


class UpstreamBadResponse(UpstreamError):
    """WispHub answered something we cannot trust (bad JSON, envelope, rows, listing or status)."""

    code = "upstream_bad_response"
    default_message = "WispHub Net answered an unusable response"


def error_for_status(status: int) -> type[UpstreamError]:
    """Return the error class for an unexpected upstream HTTP status."""
    if status in (401, 403):
        return UpstreamAuthError
    if status == 404:
        return UpstreamNotFound
    # 429 is throttling, not a malformed answer: like a 5xx it is worth trying again later.
    if status == 429 or 500 <= status <= 599:
        return UpstreamUnavailable
    return UpstreamBadResponse


def error_for_exception(exc: requests.RequestException, where: str) -> UpstreamError:
    """Return the typed error for a requests transport failure on `where` ("GET /api/x/")."""
    if isinstance(exc, requests.Timeout) or _is_exhausted_read_timeout(exc):
        connect = isinstance(exc, requests.ConnectTimeout)
        kind = "connect" if connect else "read"
        return UpstreamTimeout(f"WispHub Net {kind} timeout on {where}", sent=not connect)
    if isinstance(exc, requests.TooManyRedirects):
        return UpstreamUnavailable(f"WispHub Net redirected too many times on {where}")
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return UpstreamBadResponse(f"WispHub Net sent an undecodable body on {where}")
    # Refused, reset, DNS, TLS, broken chunked bodies, exhausted retries: all "not reachable now".
    return UpstreamUnavailable(
        f"WispHub Net unreachable on {where} ({type(exc).__name__})", sent=_was_sent(exc)
    )


def _was_sent(exc: requests.RequestException) -> bool:
    """Tell whether a failed request may have reached WispHub (True unless it surely did not)."""
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    return not isinstance(cause, NewConnectionError)  # also DNS failures, a subclass


def _is_exhausted_read_timeout(exc: requests.RequestException) -> bool:
    """Tell whether requests wrapped a read timeout in a ConnectionError (retries used up)."""
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    return isinstance(cause, ReadTimeoutError)
