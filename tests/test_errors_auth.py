"""Every error is JSON with a stable code; every /api route needs an accepted X-API-Key."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH
from wisphub_api.auth import key_is_valid

API_ROUTES = [
    ("GET", "/api/v1/clients/"),
    ("GET", "/api/v1/clients/search?q=Esperanza"),
    ("GET", "/api/v1/clients/by-document/123456"),
    ("GET", "/api/v1/clients/by-phone/3001234567"),
    ("GET", "/api/v1/clients/by-service-id/7"),
    ("PUT", "/api/v1/clients/7"),
    ("POST", "/api/v1/clients/7/verify"),
    ("POST", "/api/v1/clients/resolve"),
    ("GET", "/api/v1/internet-plans/"),
    ("GET", "/api/v1/internet-plans/1"),
    ("GET", "/api/clients/"),
    ("GET", "/api/internet-plans/"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "wrong"},
        {"X-API-Key": ""},
        {"X-API-Key": "test-key "},
        {"Authorization": "test-key"},
    ],
)
def test_api_route_without_accepted_key_is_401(client, method, path, headers):
    response = client.open(path, method=method, headers=headers, json={})
    assert response.status_code == 401
    assert response.json == {
        "detail": "A valid X-API-Key header is required.",
        "code": "unauthorized",
    }


def test_every_configured_key_is_accepted(client):
    for key in ("test-key", "second-test-key"):
        response = client.get("/api/v1/clients/by-document/x", headers={"X-API-Key": key})
        assert response.status_code != 401


def test_health_is_public(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_openapi_is_public_and_declares_the_key_scheme(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    schemes = response.json["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here", headers=AUTH)
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/api/v1/clients/", headers=AUTH)
    assert response.status_code == 405
    assert response.json["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400(client):
    response = client.post(
        "/api/v1/clients/7/verify",
        data=b'{"address": ',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["code"] == "bad_request"
    assert set(response.json) >= {"detail", "code"}


def test_body_over_the_limit_is_413(client):
    body = b'{"address": "' + b"A" * 70_000 + b'"}'
    response = client.post(
        "/api/v1/clients/7/verify", data=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large"


def test_body_that_is_not_json_is_415(client):
    response = client.post(
        "/api/v1/clients/7/verify",
        data="address=BELLAVISTA",
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json["code"] == "unsupported_media_type"


def test_unexpected_exception_is_json_500_without_its_message(app, caplog):
    document = "".join(["1098", "765432"])  # built at run time, as caller data would be

    @app.get("/boom")
    def boom():
        raise RuntimeError(f"secret {document}")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json == {"detail": "An internal error occurred.", "code": "internal_error"}
    assert "1098765432" not in caplog.text


def test_security_headers_on_every_answer(client):
    for response in (client.get("/health"), client.get("/api/v1/clients/"), client.get("/missing")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_cors_is_off_by_default(client):
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_only_configured_origins(make_app):
    client = make_app(CORS_ORIGINS=["https://bot.example"]).test_client()
    allowed = client.get("/health", headers={"Origin": "https://bot.example"})
    refused = client.get("/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://bot.example"
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_key_is_valid_compares_every_key():
    assert key_is_valid("b", ["a", "b"])
    assert not key_is_valid("c", ["a", "b"])
    assert not key_is_valid("", ["a"])
    assert not key_is_valid("a", [])


def test_openapi_documents_the_error_shape_and_statuses(client):
    spec = client.get("/openapi.json").json
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {"detail", "code", "errors"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path.startswith("/health"):
                continue
            assert {"401", "502", "503", "504"} <= set(operation["responses"]), (method, path)
            assert operation["summary"], (method, path)


def test_docs_page_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.get_data(as_text=True)
    assert "/openapi.json" in response.get_data(as_text=True)
