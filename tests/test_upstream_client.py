"""WispHubClient calls: headers, timeouts, base URL, retries, error mapping, safe logging."""

from __future__ import annotations

import logging

import pytest
import requests
from responses import matchers

from tests.support.upstream_mocks import (
    BASE,
    HEADERS,
    KEY,
    LIST_URL,
    PERFIL_URL,
    by_id,
    one_row_page,
)
from wisphub_api.upstream import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
    WispHubClient,
)


def test_get_client_sends_key_accept_query_and_default_timeouts(mock, upstream):
    mock.get(
        LIST_URL,
        json=one_row_page(),
        match=[
            matchers.header_matcher(HEADERS),
            *by_id(),
            matchers.request_kwargs_matcher({"timeout": (3.05, 10.0)}),
        ],
    )
    assert upstream.get_client(1042).name == "MARIA GOMEZ"


def test_client_custom_timeouts_sent_as_connect_read_tuple(mock):
    mock.get(
        LIST_URL,
        json=one_row_page(),
        match=[matchers.request_kwargs_matcher({"timeout": (1.5, 4.0)})],
    )
    with WispHubClient(BASE, KEY, connect_timeout=1.5, read_timeout=4.0) as client:
        assert client.get_client(1042).service_id == 1042


def test_client_key_header_wins_over_netrc_entry(mock, upstream, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.wisphub.test login someone password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    mock.get(LIST_URL, json=one_row_page(), match=[matchers.header_matcher(HEADERS)])
    assert upstream.get_client(1042).service_id == 1042


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.wisphub.test",
        "https://api.wisphub.test/",
        "https://api.wisphub.test/api",
        "https://api.wisphub.test/api/",
        " api.wisphub.test/api/ ",
    ],
)
def test_client_base_url_spellings_reach_api_clientes(mock, base_url):
    mock.get(LIST_URL, json=one_row_page(), match=by_id())
    with WispHubClient(base_url, KEY) as client:
        assert client.get_client(1042).service_id == 1042


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "ftp://api.wisphub.test", "api_key": KEY},
        {"base_url": "", "api_key": KEY},
        {"base_url": BASE, "api_key": " "},
        {"base_url": BASE, "api_key": KEY, "page_size": 0},
        {"base_url": BASE, "api_key": KEY, "read_timeout": 0},
        {"base_url": BASE, "api_key": KEY, "retries": -1},
    ],
)
def test_client_invalid_settings_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        WispHubClient(**kwargs)


def test_client_adapter_is_pooled_and_retries_gets_only():
    with WispHubClient(BASE, KEY, pool_size=64, retries=3, backoff=0.5) as client:
        session = client._session
        adapter = session.get_adapter("https://api.wisphub.test/")
        assert session.get_adapter("http://127.0.0.1/") is adapter
        pool_kw = adapter.poolmanager.connection_pool_kw
        assert (pool_kw["maxsize"], pool_kw["block"]) == (64, False)
        retry = adapter.max_retries
        assert (retry.total, retry.connect, retry.read, retry.status) == (3, 3, 3, 3)
        assert retry.allowed_methods == frozenset({"GET"})
        assert tuple(retry.status_forcelist) == (502, 503, 504)
        assert (retry.backoff_factor, retry.raise_on_status) == (0.5, False)
        assert retry.respect_retry_after_header is True


def test_get_retried_after_two_503_succeeds_on_third_call(ordered, upstream):
    ordered.get(LIST_URL, status=503, match=by_id())
    ordered.get(LIST_URL, status=503, match=by_id())
    ordered.get(LIST_URL, json=one_row_page(), match=by_id())
    assert upstream.get_client(1042).service_id == 1042
    assert len(ordered.calls) == 3


def test_get_three_503_raises_unavailable_after_three_calls(ordered, upstream):
    for _ in range(3):
        ordered.get(LIST_URL, status=503, json={"detail": "MARIA GOMEZ 1098765432"})
    with pytest.raises(UpstreamUnavailable) as caught:
        upstream.get_client(1042)
    assert caught.value.status == 503
    assert len(ordered.calls) == 3


def test_get_500_is_not_retried(mock, upstream):
    mock.get(LIST_URL, status=500)
    with pytest.raises(UpstreamUnavailable):
        upstream.get_client(1042)
    assert len(mock.calls) == 1


def test_put_503_is_sent_once(mock, upstream):
    mock.put(PERFIL_URL, status=503)
    with pytest.raises(UpstreamUnavailable):
        upstream.update_profile(1042, {"city": "POPAYAN"})
    assert len(mock.calls) == 1


def test_put_read_timeout_is_sent_once(mock, upstream):
    mock.put(PERFIL_URL, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(UpstreamTimeout):
        upstream.update_profile(1042, {"city": "POPAYAN"})
    assert len(mock.calls) == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (requests.ConnectTimeout("connect timed out"), UpstreamTimeout),
        (requests.ReadTimeout("read timed out"), UpstreamTimeout),
        (requests.ConnectionError("connection refused"), UpstreamUnavailable),
    ],
)
def test_get_transport_failure_raises_typed_error(mock, upstream, body, expected):
    mock.get(LIST_URL, body=body)
    with pytest.raises(expected):
        upstream.get_client(1042)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, UpstreamAuthError),
        (403, UpstreamAuthError),
        (404, UpstreamNotFound),
        (400, UpstreamBadResponse),
        (429, UpstreamUnavailable),
    ],
)
def test_get_error_status_raises_typed_error_with_status(mock, upstream, status, expected):
    mock.get(LIST_URL, status=status, json={"detail": "Las credenciales no son validas."})
    with pytest.raises(expected) as caught:
        upstream.get_client(1042)
    assert caught.value.status == status


def test_get_invalid_json_raises_bad_response(mock, upstream):
    mock.get(LIST_URL, body="<html>502 Bad Gateway</html>", content_type="text/html")
    with pytest.raises(UpstreamBadResponse):
        upstream.get_client(1042)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"results": []},
        {"count": "1", "results": []},
        {"count": 1, "results": None},
        {"count": 1, "results": ["row"]},
        {"count": 1, "results": [{"id_servicio": 1042}]},
        {"count": 1, "results": [{"nombre": "MARIA GOMEZ"}]},
    ],
)
def test_get_wrong_envelope_or_row_raises_bad_response(mock, upstream, body):
    mock.get(LIST_URL, json=body)
    with pytest.raises(UpstreamBadResponse):
        upstream.get_client(1042)


def test_get_redirect_loop_raises_unavailable(mock, upstream):
    mock.get(LIST_URL, status=301, headers={"Location": LIST_URL})
    with pytest.raises(UpstreamUnavailable) as caught:
        upstream.get_client(1042)
    assert "redirected" in str(caught.value)
    assert len(mock.calls) == 4  # the first call and three redirects


def test_put_redirect_is_not_followed(mock, upstream):
    mock.put(PERFIL_URL, status=301, headers={"Location": f"{BASE}/api/clientes/1042/perfil"})
    with pytest.raises(UpstreamBadResponse):
        upstream.update_profile(1042, {"city": "POPAYAN"})
    assert len(mock.calls) == 1


def test_failed_call_logs_one_safe_line_and_raises_safe_error(ordered, upstream, caplog):
    secret_body = {"detail": "CALLE 10 # 5-20 3001234567"}
    for _ in range(3):
        ordered.get(LIST_URL, status=503, json=secret_body)
    caplog.set_level(logging.DEBUG, logger="wisphub_api.upstream")
    with pytest.raises(UpstreamUnavailable) as caught:
        upstream.find_clients(cedula="1098765432")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    line = warnings[0].getMessage()
    assert "GET /api/clientes/" in line and "status=503" in line and "elapsed_ms=" in line
    for secret in ("1098765432", "CALLE", "3001234567", KEY):
        assert secret not in line and secret not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_client_close_closes_its_session():
    session = requests.Session()
    closed = []
    session.close = lambda: closed.append(True)
    with WispHubClient(BASE, KEY, session=session):
        pass
    assert closed == [True]


def test_call_headers_are_added_to_the_session_headers_for_that_call_only(mock, upstream):
    sent = {"Authorization": f"Api-Key {KEY}", "Accept": "application/pdf"}
    mock.get(f"{BASE}/api/clientes/", match=[matchers.header_matcher(sent)], json={})
    mock.get(f"{BASE}/api/clientes/", match=[matchers.header_matcher(HEADERS)], json={})
    upstream._call("GET", "/clientes/", headers={"Accept": "application/pdf"}).close()
    upstream._call("GET", "/clientes/").close()
    assert upstream.session.headers["Accept"] == "application/json"
    assert [call.request.headers["Accept"] for call in mock.calls] == [
        "application/pdf",
        "application/json",
    ]
