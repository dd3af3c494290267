"""Request ids: accepted when sane, replaced otherwise, returned on every answer."""

from __future__ import annotations

import re

import pytest

from tests.conftest import AUTH

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("given", ["abc", "bot-7.conv_42", "A" * 128])
def test_request_id_valid_from_caller_is_returned(client, given):
    response = client.get("/health", headers={"X-Request-ID": given})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["", "has space", 'quote"', "A" * 129, "ñandú", "a/b"])
def test_request_id_invalid_from_caller_is_replaced(client, given):
    response = client.get("/health", headers={"X-Request-ID": given})
    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_request_id_absent_is_generated_fresh_per_request(client):
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/api/v1/clients/", {}, 401),
        ("GET", "/nowhere", {}, 404),
        ("DELETE", "/api/v1/internet-plans/", AUTH, 405),
        ("GET", "/health", {}, 200),
    ],
)
def test_request_id_returned_on_errors_too(client, method, path, headers, status):
    response = client.open(path, method=method, headers={**headers, "X-Request-ID": "trace-1"})
    assert response.status_code == status
    assert response.headers["X-Request-ID"] == "trace-1"


def test_request_id_returned_on_a_too_large_body(client):
    body = '{"address": "' + "x" * 70_000 + '"}'
    response = client.post(
        "/api/v1/clients/7/verify",
        data=body,
        headers={**AUTH, "Content-Type": "application/json", "X-Request-ID": "big-1"},
    )
    assert response.status_code == 413
    assert response.headers["X-Request-ID"] == "big-1"
