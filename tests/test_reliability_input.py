"""Hostile and odd input on every route: always a JSON 4xx (or a 200), never a 5xx.

Extends tests/test_errors_auth.py and tests/test_api_*.py (one route, one example each) to every
route that takes a body, a path parameter or free text.
"""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import pytest

from tests.conftest import AUTH

JSON = {**AUTH, "Content-Type": "application/json"}
VERIFY = "/api/v1/clients/7/verify"
RESOLVE = "/api/v1/clients/resolve"
UPDATE = "/api/v1/clients/7"
BODY_ROUTES = [("POST", VERIFY), ("POST", RESOLVE), ("PUT", UPDATE)]
VERIFY_FIELDS = ["name", "document", "phone", "address", "city", "locality", "internet_plan_name"]
RESOLVE_FIELDS = ["name", "address", "internet_plan_name"]
VALID_PRICE = 40000.0

ODD_TEXT = [
    "\x00",
    "BELLA\x00VISTA",
    "\x01\x02\x1b\x1f\x7f",
    "\r\n\t ",
    "\u00a0\u3000",
    "\u202eATSIVALLEB",
    "\u200b\u200c\u200d\ufeff",
    "BELLAVISTA\u200b",
    "مرحبا עולם",
    "😀👍🏽🇨🇴",
    "e\u0301" * 60,
    "".join(chr(ord(c) + 0xFEE0) for c in "BELLAVISTA"),
    "".join(chr(ord(c) + 0xFEE0) for c in "3001234567"),
    "\ud800 lone",
    "x" * 200,
    "x" * 201,
    "x" * 10_000,
    "'; DROP TABLE clients; --",
    "${jndi:ldap://x/a}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "{{7*7}}",
    "%00%ff",
]


def send(client, method: str, path: str, body) -> object:
    """Send ``body`` as JSON text (ASCII escapes, so lone surrogates travel too)."""
    return client.open(path, method=method, data=json.dumps(body), headers=JSON)


def pct(value: str) -> str:
    """Percent-encode ``value`` as UTF-8; a lone surrogate becomes invalid UTF-8 bytes."""
    return quote(value, safe="", errors="surrogatepass")


def assert_handled(response, allowed: set[int], value: str | None = None) -> None:
    assert response.status_code in allowed, response.get_data()[:300]
    assert response.is_json
    if value is not None and len(value) >= 4:
        assert value not in response.get_data(as_text=True)  # never echoed back


@pytest.fixture
def api(make_app, sandbox_clean):
    """Return a client of a sandbox-backed app that never locks verification out."""
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        VERIFY_MAX_FAILURES=10_000,
    )
    return app.test_client()


# -- free text ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ODD_TEXT, ids=range(len(ODD_TEXT)))
def test_odd_text_in_every_field_is_answered_without_server_error(api, value):
    search = api.get(f"/api/v1/clients/search?q={pct(value)}", headers=AUTH)
    assert_handled(search, {200, 422})
    for field in VERIFY_FIELDS:
        answer = send(api, "POST", VERIFY, {field: value, "internet_plan_price": VALID_PRICE})
        assert_handled(answer, {200, 400, 422}, value)
    for field in RESOLVE_FIELDS:
        claims = {
            "name": "ESPERANZA BENITEZ",
            "address": "BELLAVISTA",
            "internet_plan_price": VALID_PRICE,
            field: value,
        }
        assert_handled(send(api, "POST", RESOLVE, claims), {200, 400, 404, 409, 422}, value)
    for kind in ("by-document", "by-phone"):
        found = api.get(f"/api/v1/clients/{kind}/{pct(value[:1000])}", headers=AUTH)
        assert_handled(found, {200, 404, 422}, value[:1000])


def test_very_long_document_is_404_without_asking_upstream(api):
    response = api.get(f"/api/v1/clients/by-document/{'1' * 10_000}", headers=AUTH)
    assert response.status_code == 404


@pytest.mark.parametrize("price", [1e308, -0.0, 5e-324, 39999.0000001, 0, 10**9, 10**9 + 1])
def test_odd_prices_are_answered_without_server_error(api, price):
    answer = send(api, "POST", VERIFY, {"address": "BELLAVISTA", "internet_plan_price": price})
    assert_handled(answer, {200, 422})


@pytest.mark.parametrize("text", [" Esperanza", "+57 300 123 4567", "¿Esperanza?", "#5-20"])
def test_text_with_a_leading_space_or_symbol_is_accepted(api, text):
    search = api.get("/api/v1/clients/search", query_string={"q": text}, headers=AUTH)
    assert search.status_code == 200
    claims = {"address": f" {text}", "internet_plan_price": VALID_PRICE}
    assert send(api, "POST", VERIFY, claims).status_code == 200


# -- bodies ------------------------------------------------------------------------------------
MALFORMED = [
    b'{"address": ',
    b"{'address': 'x'}",
    b'{"a": 1}}',
    b"[1,]",
    b'{"a": 1,}',
    b"\xef\xbb\xbf{}",
    '{"address": "x"}'.encode("utf-16"),
    b'{"address": "\xe9"}',
    b"   ",
    b"nul\x00l",
]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_json_on_every_body_route_is_400(client, method, path, body):
    response = client.open(path, method=method, data=body, headers=JSON)
    assert response.status_code == 400
    assert response.json["code"] == "bad_request"


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_body_over_the_configured_limit_is_413_on_every_body_route(make_app, method, path):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    body = json.dumps({"address": "A" * 1100, "internet_plan_price": VALID_PRICE})
    response = client.open(path, method=method, data=body, headers=JSON)
    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large"


def test_chunked_body_over_the_limit_is_413(client):
    body = json.dumps({"address": "A" * 70_000, "internet_plan_price": VALID_PRICE}).encode()
    response = client.post(
        VERIFY,
        input_stream=io.BytesIO(body),
        headers={**JSON, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
        None,
    ],
)
def test_body_in_another_media_type_is_415_on_every_body_route(client, method, path, content_type):
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = client.open(path, method=method, data=b'{"address": "BELLAVISTA"}', headers=headers)
    assert response.status_code == 415
    assert response.json["code"] == "unsupported_media_type"


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_number_1e400_is_refused_as_not_finite(client, method, path):
    body = b'{"internet_plan_price": 1e400, "balance": 1e400, "address": "BELLAVISTA"}'
    response = client.open(path, method=method, data=body, headers=JSON)
    assert response.status_code == 422
    assert response.is_json


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_integer_too_large_for_a_float_is_422(client, method, path):
    digits = "9" * 309
    body = f'{{"internet_plan_price": {digits}, "balance": {digits}, "address": "X"}}'
    response = client.open(path, method=method, data=body, headers=JSON)
    assert response.status_code == 422


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "body",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,  # under 64 KB
        '{"internet_plan_price": ' + "9" * 5000 + "}",
    ],
    ids=["deep-list", "deep-object", "5000-digits"],
)
def test_json_too_deep_or_too_long_to_decode_is_400(client, method, path, body):
    response = client.open(path, method=method, data=body, headers=JSON)
    assert response.status_code == 400
    assert response.json["code"] == "bad_request"


# -- paths, methods, queries, keys ----------------------------------------------------------------
ID_ROUTES = [
    ("GET", "/api/v1/clients/by-service-id/{}"),
    ("POST", "/api/v1/clients/{}/verify"),
    ("PUT", "/api/v1/clients/{}"),
    ("GET", "/api/v1/internet-plans/{}"),
]
# A valid body for each method, so that only the path (or the query) is wrong.
VALID_BODY = {
    "GET": None,
    "POST": {
        "name": "ESPERANZA BENITEZ",
        "address": "BELLAVISTA",
        "internet_plan_price": VALID_PRICE,
    },
    "PUT": {"city": "CALI"},
}


@pytest.mark.parametrize(("method", "template"), ID_ROUTES)
@pytest.mark.parametrize(
    "value", ["abc", "1.5", "-3", "0x10", "1e3", "%20", "7%00", "7;1", "9" * 30, "9" * 5000]
)
def test_id_path_parameter_that_is_no_id_is_422_naming_it(api, method, template, value):
    response = send(api, method, template.format(value), VALID_BODY[method])
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert set(response.json["errors"]) == {"plan_id" if "plans" in template else "service_id"}


ALL_ROUTES = {
    "/api/v1/clients/": {"GET"},
    "/api/v1/clients/search?q=x": {"GET"},
    "/api/v1/clients/by-document/1": {"GET"},
    "/api/v1/clients/by-phone/1": {"GET"},
    "/api/v1/clients/by-service-id/1": {"GET"},
    UPDATE: {"PUT"},
    VERIFY: {"POST"},
    RESOLVE: {"POST"},
    "/api/v1/internet-plans/": {"GET"},
    "/api/v1/internet-plans/1": {"GET"},
    "/health": {"GET"},
    "/health/ready": {"GET"},
}


@pytest.mark.parametrize("path", list(ALL_ROUTES))
def test_every_method_a_route_lacks_is_json_405_with_allow(client, path):
    for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"} - ALL_ROUTES[path]):
        response = client.open(path, method=method, headers=AUTH)
        assert response.status_code == 405, method
        assert response.json["code"] == "method_not_allowed"
        assert ALL_ROUTES[path] <= set(response.headers["Allow"].split(", "))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/clients/by-document/1"),
        ("GET", "/api/v1/clients/by-phone/1"),
        ("GET", "/api/v1/clients/by-service-id/1"),
        ("GET", "/api/v1/internet-plans/"),
        ("GET", "/api/v1/internet-plans/1"),
        ("POST", VERIFY),
        ("POST", RESOLVE),
        ("PUT", UPDATE),
    ],
)
def test_unknown_query_parameter_is_422_on_every_route(client, method, path):
    response = send(client, method, f"{path}?debug=1", VALID_BODY[method])
    assert response.status_code == 422
    assert "debug" in response.json["errors"]


@pytest.mark.parametrize("key", ["clé-ñ", "k" * 20_000, "test-key\x00", "test-key\t"])
def test_odd_api_key_is_401(client, key):
    response = client.get("/api/v1/clients/", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.is_json


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients/search?q=a&q=b",
        "/api/v1/clients/search?q=Esperanza&limit=5&limit=6",
        "/api/v1/clients/?limit=1&limit=2",
    ],
)
def test_repeated_query_parameter_is_422_not_silently_dropped(client, path):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    repeated = path.rsplit("&", 1)[1].split("=")[0]
    assert response.json["errors"] == {repeated: ["Given more than once."]}
