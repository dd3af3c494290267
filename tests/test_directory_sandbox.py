"""The client directory against a real sandbox, proven with the sandbox's call counts."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import AUTH

LISTING_PATH = "/api/clientes/"
FIRST_PAGE = "/api/clientes/?limit=300&offset=0"


def sandbox_app(make_app, sandbox, **overrides):
    return make_app(WISPHUB_NET_HOST=sandbox.url, WISPHUB_NET_KEY=sandbox.api_key, **overrides)


def wait_ready(client, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/health/ready").status_code != 200:
        assert time.monotonic() < deadline, "the directory never became warm"
        time.sleep(0.05)


def listing_pages(stats) -> dict[str, int]:
    return {page: n for page, n in stats["by_page"].items() if page.startswith(LISTING_PATH + "?")}


def test_cold_burst_of_200_requests_reads_each_page_once(make_app, sandbox_clean):
    sandbox_clean.latency("50-50", per_row_ms=0.2)  # a listing long enough for requests to pile up
    app = sandbox_app(make_app, sandbox_clean)

    def get(_):
        response = app.test_client().get("/api/v1/clients/", headers=AUTH)
        return response.status_code, len(response.json)

    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(get, range(200)))
    assert set(answers) == {(200, 1500)}
    pages = listing_pages(sandbox_clean.stats())
    assert len(pages) == 5  # 1,500 clients in pages of 300
    assert set(pages.values()) == {1}


def test_warm_directory_refreshes_ahead_once_per_interval_and_never_blocks(make_app, sandbox_clean):
    app = sandbox_app(
        make_app,
        sandbox_clean,
        CLIENTS_CACHE_TTL=2,
        REFRESH_AHEAD_FRACTION=0.5,
        WARMUP_ON_START=True,
    )
    client = app.test_client()
    wait_ready(client)
    sandbox_clean.reset_stats()
    statuses = []
    started = time.monotonic()
    while time.monotonic() - started < 6.0:
        statuses.append(client.get("/api/v1/clients/", headers=AUTH).headers["X-Cache"])
        time.sleep(0.02)
    assert set(statuses) == {"HIT"}  # no request waited for WispHub, none saw stale data
    refreshes = sandbox_clean.stats()["by_page"].get(FIRST_PAGE, 0)
    assert 3 <= refreshes <= 6 / 1 + 2  # about one per half TTL (1 s), not one per request
    assert len(statuses) > 5 * refreshes


def test_warm_directory_serves_stale_when_upstream_fails(make_app, sandbox_clean):
    app = sandbox_app(make_app, sandbox_clean, CLIENTS_CACHE_TTL=1)
    client = app.test_client()
    assert client.get("/api/v1/clients/", headers=AUTH).status_code == 200
    sandbox_clean.fault("error", path=LISTING_PATH)
    time.sleep(1.3)
    for _ in range(3):
        response = client.get("/api/v1/clients/", headers=AUTH)
        assert response.status_code == 200
        assert response.headers["X-Cache"] == "STALE"
        assert int(response.headers["X-Cache-Age"]) >= 1
        assert len(response.json) == 1500
    search = client.get("/api/v1/clients/search?q=Esperanza", headers=AUTH)
    assert search.status_code == 200
    assert search.headers["X-Cache"] == "STALE"


def test_stale_directory_recovers_by_itself_when_upstream_returns(make_app, sandbox_clean):
    app = sandbox_app(
        make_app,
        sandbox_clean,
        CLIENTS_CACHE_TTL=1,
        WARMUP_ON_START=True,
        CIRCUIT_RESET_SECONDS=0.5,
    )
    client = app.test_client()
    wait_ready(client)
    sandbox_clean.fault("error", path=LISTING_PATH)
    time.sleep(1.3)
    assert client.get("/api/v1/clients/", headers=AUTH).headers["X-Cache"] == "STALE"
    sandbox_clean.fault("ok")
    deadline = time.monotonic() + 5
    while client.get("/api/v1/clients/", headers=AUTH).headers["X-Cache"] != "HIT":
        assert time.monotonic() < deadline, "never recovered"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "mode", ["error", "short_count", "missing_fields", "invalid_json", "forbidden"]
)
def test_cold_failure_is_an_error_and_is_not_cached(make_app, sandbox_clean, mode):
    app = sandbox_app(make_app, sandbox_clean)
    client = app.test_client()
    sandbox_clean.fault(mode, path=LISTING_PATH)
    failed = client.get("/api/v1/clients/", headers=AUTH)
    assert failed.status_code in (502, 503, 504)
    assert failed.json["code"].startswith("upstream")
    assert client.get("/health/ready").json["clients"]["warm"] is False  # nothing stored
    sandbox_clean.fault("ok")
    recovered = client.get("/api/v1/clients/", headers=AUTH)
    assert recovered.status_code == 200
    assert len(recovered.json) == 1500


@pytest.mark.parametrize("mode", ["short_count", "missing_fields"])
def test_incomplete_listing_never_replaces_a_good_snapshot(make_app, sandbox_clean, mode):
    app = sandbox_app(make_app, sandbox_clean, CLIENTS_CACHE_TTL=1)
    client = app.test_client()
    good = client.get("/api/v1/clients/", headers=AUTH).json
    sandbox_clean.fault(mode, path=LISTING_PATH)
    time.sleep(1.3)
    client.get("/api/v1/clients/", headers=AUTH)  # starts the refresh, which fails
    time.sleep(0.3)
    response = client.get("/api/v1/clients/", headers=AUTH)
    assert response.headers["X-Cache"] == "STALE"
    assert response.json == good


def test_plans_serve_stale_under_the_same_rules(make_app, sandbox_clean):
    app = sandbox_app(make_app, sandbox_clean, PLANS_CACHE_TTL=1)
    client = app.test_client()
    good = client.get("/api/v1/internet-plans/", headers=AUTH).json
    sandbox_clean.fault("error", path="/api/plan-internet/")
    time.sleep(1.3)
    response = client.get("/api/v1/internet-plans/", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["X-Cache"] == "STALE"
    assert response.json == good


def test_plans_are_read_once_per_ttl(make_app, sandbox_clean):
    app = sandbox_app(make_app, sandbox_clean)
    client = app.test_client()
    sandbox_clean.reset_stats()  # only this app's calls count
    for _ in range(20):
        assert client.get("/api/v1/internet-plans/", headers=AUTH).status_code == 200
    plan_ids = [p["plan_id"] for p in client.get("/api/v1/internet-plans/", headers=AUTH).json]
    for plan_id in plan_ids:
        client.get(f"/api/v1/internet-plans/{plan_id}", headers=AUTH)
    stats = sandbox_clean.stats()["by_path"]
    assert stats["/api/plan-internet/"] == 1
    detail_calls = sum(
        n
        for path, n in stats.items()
        if path.startswith("/api/plan-internet/") and path != "/api/plan-internet/"
    )
    assert detail_calls <= len(plan_ids)  # at most one detail call per plan, PCQ none


def test_warm_lookups_make_no_upstream_call(make_app, sandbox_clean):
    app = sandbox_app(make_app, sandbox_clean)
    client = app.test_client()
    client.get("/api/v1/clients/", headers=AUTH)
    sandbox_clean.reset_stats()
    for path in (
        "/api/v1/clients/by-service-id/7",
        "/api/v1/clients/by-phone/3000000000",
        "/api/v1/clients/by-document/123",
        "/api/v1/clients/search?q=Esperanza",
    ):
        client.get(path, headers=AUTH)
    client.post(
        "/api/v1/clients/7/verify",
        headers=AUTH,
        json={"address": "BELLAVISTA", "internet_plan_price": 40000.0},
    )
    assert sandbox_clean.stats()["total"] == 0


def test_cold_lookup_uses_one_filtered_call(make_app, sandbox_clean):
    sandbox_clean.latency("200-200")  # the background listing is still running when we look
    app = sandbox_app(make_app, sandbox_clean)
    response = app.test_client().get("/api/v1/clients/by-service-id/7", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["X-Cache"] == "MISS"
    pages = sandbox_clean.stats()["by_page"]
    assert pages.get("/api/clientes/?limit=300&offset=0&id_servicio=7") == 1


def test_warm_up_runs_in_the_background_without_delaying_start(make_app, sandbox_clean):
    sandbox_clean.latency("400-400", per_row_ms=1)  # a listing takes well over a second
    started = time.monotonic()
    app = sandbox_app(make_app, sandbox_clean, WARMUP_ON_START=True)
    assert time.monotonic() - started < 0.5  # create_app did not wait for WispHub
    client = app.test_client()
    assert client.get("/health/ready").status_code == 503
    wait_ready(client)
    deadline = time.monotonic() + 10  # readiness needs the clients; wait for the plans too
    while not client.get("/health/ready").json["plans"]["warm"]:
        assert time.monotonic() < deadline, "the plans never became warm"
        time.sleep(0.05)
    sandbox_clean.reset_stats()
    response = client.get("/api/v1/clients/", headers=AUTH)
    assert response.headers["X-Cache"] == "HIT"  # the first request found it warm
    assert sandbox_clean.stats()["total"] == 0
