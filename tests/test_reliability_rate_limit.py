"""WispHub answering 429: no retry storm, a JSON 503 with Retry-After when cold, stale when warm."""

from __future__ import annotations

import time

from tests.conftest import AUTH

FAST = {"UPSTREAM_RETRIES": 2, "UPSTREAM_BACKOFF": 0.0, "CLIENTS_CACHE_TTL": 1}
ROUTES = (
    "/api/v1/clients/",
    "/api/v1/clients/search?q=Esperanza",
    "/api/v1/clients/by-service-id/7",
    "/api/v1/clients/by-document/1234567",
)


def app_of(make_app, sandbox):
    return make_app(WISPHUB_NET_HOST=sandbox.url, WISPHUB_NET_KEY=sandbox.api_key, **FAST)


def test_cold_429_is_one_upstream_call_then_json_503s_with_retry_after(make_app, sandbox_clean):
    sandbox_clean.fault("rate_limited", retry_after=30)
    client = app_of(make_app, sandbox_clean).test_client()
    sandbox_clean.reset_stats()
    answers = [client.get(path, headers=AUTH) for path in ROUTES for _ in range(5)]
    for answer in answers:
        assert answer.status_code == 503
        assert answer.json["code"] in {"upstream_rate_limited", "upstream_unavailable"}
        assert 1 <= int(answer.headers["Retry-After"]) <= 30
    # One 429 answered, then nothing sent before its Retry-After: no retry, no storm.
    assert sandbox_clean.stats()["total"] == 1


def test_warm_reads_are_served_stale_while_wisphub_asks_to_slow_down(make_app, sandbox_clean):
    client = app_of(make_app, sandbox_clean).test_client()
    warm = {path: client.get(path, headers=AUTH) for path in ROUTES[:3]}
    assert {answer.status_code for answer in warm.values()} == {200}
    sandbox_clean.fault("rate_limited", retry_after=30)
    time.sleep(1.2)  # past the TTL
    for path, first in warm.items():
        answer = client.get(path, headers=AUTH)
        assert answer.status_code == 200
        assert answer.get_data() == first.get_data()
    assert client.get("/api/v1/clients/", headers=AUTH).headers["X-Cache"] == "STALE"
