"""Typed upstream errors: one status-to-class function and transport failures mapped."""

from __future__ import annotations

import pytest
import requests
from urllib3.exceptions import MaxRetryError, ReadTimeoutError

from wisphub_api.upstream.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
    error_for_exception,
    error_for_status,
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, UpstreamAuthError),
        (403, UpstreamAuthError),
        (404, UpstreamNotFound),
        (500, UpstreamUnavailable),
        (502, UpstreamUnavailable),
        (503, UpstreamUnavailable),
        (504, UpstreamUnavailable),
        (429, UpstreamUnavailable),
        (400, UpstreamBadResponse),
        (405, UpstreamBadResponse),
        (422, UpstreamBadResponse),
        (301, UpstreamBadResponse),
        (201, UpstreamBadResponse),
    ],
)
def test_error_for_status_each_status_gives_its_class(status, expected):
    assert error_for_status(status) is expected


@pytest.mark.parametrize(
    "cls",
    [
        UpstreamAuthError,
        UpstreamNotFound,
        UpstreamUnavailable,
        UpstreamTimeout,
        UpstreamBadResponse,
    ],
)
def test_upstream_error_subclasses_share_the_base(cls):
    error = cls(status=503)
    assert isinstance(error, UpstreamError)
    assert (str(error), error.status) == (cls.default_message, 503)


def _read_timeout_after_retries() -> requests.ConnectionError:
    reason = ReadTimeoutError(None, "/api/clientes/", "Read timed out.")
    return requests.ConnectionError(MaxRetryError(None, "/api/clientes/", reason))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (requests.ConnectTimeout(), UpstreamTimeout),
        (requests.ReadTimeout(), UpstreamTimeout),
        (_read_timeout_after_retries(), UpstreamTimeout),
        (requests.ConnectionError("refused"), UpstreamUnavailable),
        (requests.exceptions.ChunkedEncodingError(), UpstreamUnavailable),
        (requests.TooManyRedirects(), UpstreamUnavailable),
        (requests.exceptions.SSLError(), UpstreamUnavailable),
        (requests.exceptions.ContentDecodingError(), UpstreamBadResponse),
    ],
)
def test_error_for_exception_transport_failures_give_typed_errors(exc, expected):
    error = error_for_exception(exc, "GET /api/clientes/")
    assert type(error) is expected
    assert "GET /api/clientes/" in str(error) and error.status is None


def test_error_for_exception_message_omits_the_url_and_its_query():
    exc = requests.ConnectionError(
        "HTTPSConnectionPool(host='api.wisphub.net'): Max retries exceeded with url: "
        "/api/clientes/?cedula=1098765432"
    )
    assert "1098765432" not in str(error_for_exception(exc, "GET /api/clientes/"))
