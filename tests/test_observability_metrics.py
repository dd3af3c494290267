"""Prometheus metrics: names, route templates, cache events, upstream calls, error codes."""

from __future__ import annotations

import pytest
import requests
import responses
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AUTH
from wisphub_api.observability.hooks import instrument_session, upstream_outcome, upstream_path

METRIC_NAMES = {
    "wisphub_api_http_requests",
    "wisphub_api_http_request_duration_seconds",
    "wisphub_api_errors",
    "wisphub_api_cache_events",
    "wisphub_api_upstream_requests",
    "wisphub_api_upstream_request_duration_seconds",
    "wisphub_api_snapshot_age_seconds",
    "wisphub_api_snapshot_fetched_timestamp_seconds",
}


def scrape(client) -> dict[tuple[str, frozenset], float]:
    """Return every sample of GET /metrics by (name, labels)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    """Return one sample's value, 0 when absent."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_route_is_public_and_lists_every_metric(sandbox_app):
    client = sandbox_app.test_client()
    client.get("/api/v1/clients/", headers=AUTH)
    response = client.get("/metrics")
    assert response.status_code == 200
    families = {f.name for f in text_string_to_metric_families(response.get_data(as_text=True))}
    assert families >= METRIC_NAMES


def test_metrics_count_requests_by_route_template(client):
    client.get("/api/v1/clients/by-phone/3001234567")
    client.get("/api/v1/clients/by-phone/3007654321")
    samples = scrape(client)
    labels = {"method": "GET", "route": "/api/v1/clients/by-phone/<phone>", "status": "401"}
    assert value(samples, "wisphub_api_http_requests_total", **labels) == 2
    assert not any("3001234567" in str(key) for key in samples)


def test_metrics_count_error_answers_by_code(client):
    client.get("/api/v1/clients/")
    client.get("/nowhere")
    samples = scrape(client)
    assert value(samples, "wisphub_api_errors_total", code="unauthorized") == 1
    assert value(samples, "wisphub_api_errors_total", code="not_found") == 1


def test_metrics_count_cache_hits_misses_and_upstream_calls(sandbox_app):
    client = sandbox_app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/clients/", headers=AUTH).status_code == 200
    samples = scrape(client)
    assert value(samples, "wisphub_api_cache_events_total", store="clients", event="miss") == 1
    assert value(samples, "wisphub_api_cache_events_total", store="clients", event="hit") == 2
    assert (
        value(samples, "wisphub_api_cache_events_total", store="clients", event="refresh_ok") == 1
    )
    assert (
        value(
            samples,
            "wisphub_api_upstream_requests_total",
            method="GET",
            path="/api/clientes/",
            outcome="2xx",
        )
        >= 1
    )
    assert 0 <= value(samples, "wisphub_api_snapshot_age_seconds", store="clients") < 60


def test_metrics_count_upstream_failures_without_response(client):
    client.get("/api/v1/clients/", headers=AUTH)  # the upstream port refuses connections
    samples = scrape(client)
    assert (
        value(
            samples,
            "wisphub_api_upstream_requests_total",
            method="GET",
            path="/api/clientes/",
            outcome="connection_error",
        )
        >= 1
    )


def test_metrics_of_two_apps_are_separate(make_app):
    first, second = make_app().test_client(), make_app().test_client()
    first.get("/nowhere")
    assert value(scrape(first), "wisphub_api_errors_total", code="not_found") == 1
    assert value(scrape(second), "wisphub_api_errors_total", code="not_found") == 0


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://api.wisphub.net/api/clientes/?limit=300&offset=600", "/api/clientes/"),
        ("https://api.wisphub.net/api/clientes/123/perfil/", "/api/clientes/{id}/perfil/"),
        ("http://127.0.0.1:8001/api/plan-internet/pppoe/7/", "/api/plan-internet/pppoe/{id}/"),
        ("http://host/api/clientes/?cedula=1061653306", "/api/clientes/"),
    ],
)
def test_upstream_path_templates_ids_and_drops_the_query(url, path):
    assert upstream_path(url) == path


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (requests.ConnectTimeout(), "timeout"),
        (requests.ReadTimeout(), "timeout"),
        (requests.ConnectionError(), "connection_error"),
        (requests.TooManyRedirects(), "error"),
    ],
)
def test_upstream_outcome_names_failures(error, outcome):
    assert upstream_outcome(error) == outcome


@responses.activate
def test_instrumented_session_observes_answers_and_failures():
    seen = []
    session = requests.Session()
    instrument_session(session, lambda *args: seen.append(args[:3]))
    responses.get("http://wisphub.test/api/clientes/5/", status=503)
    responses.get("http://wisphub.test/api/plan-internet/", body=requests.ReadTimeout())
    session.get("http://wisphub.test/api/clientes/5/")
    with pytest.raises(requests.ReadTimeout):
        session.get("http://wisphub.test/api/plan-internet/")
    assert seen == [
        ("GET", "/api/clientes/{id}/", "5xx"),
        ("GET", "/api/plan-internet/", "timeout"),
    ]
