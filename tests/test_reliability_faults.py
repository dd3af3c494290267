"""The fault matrix: every upstream failure, with a warm cache and with a cold one.

Warm: the snapshots are loaded, WispHub Net breaks, the TTL passes, and every read route keeps
answering 200 with the same complete data, marked STALE. Cold: every read route answers a JSON
502/503/504 within the budget of the settings, stores nothing, and heals once WispHub does.
"""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import AUTH
from tests.support.upstream_data import first_row, phone_owner_count, raw_clients
from wisphub_api.config import config_for_tests
from wisphub_api.services.connect import upstream_budget
from wisphub_api.upstream.phones import split_phones
from wisphub_api.upstream.transport import api_root

# Small timeouts and TTLs keep the whole matrix well under a minute and a half.
FAST = {
    "UPSTREAM_CONNECT_TIMEOUT": 0.5,
    "UPSTREAM_READ_TIMEOUT": 0.5,
    "UPSTREAM_RETRIES": 0,
    "UPSTREAM_BACKOFF": 0.0,
    "CLIENTS_CACHE_TTL": 1,
    "PLANS_CACHE_TTL": 1,
    "CIRCUIT_RESET_SECONDS": 0.2,
}
TTL_PASSED = 1.15  # seconds to sleep so that a 1 s TTL has surely passed
SLOW_DELAY = 2.0

# Fault -> the status a cold request gets (errors.py maps upstream failures to these).
COLD_STATUS = {
    "error": 503,
    "stall": 504,
    "down": 503,
    "slow": 504,
    "invalid_json": 502,
    "missing_fields": 502,
    "short_count": 502,
    "forbidden": 502,
    "refused": 503,
    "rate_limited": 503,
}
FAULTS = list(COLD_STATUS)
# The sandbox drops fields from client rows only: plan answers do not suffer missing_fields.
SPARES_PLANS = {"missing_fields"}


@dataclass(frozen=True)
class Route:
    """One read route, with what it needs from the cache."""

    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    plans: bool = False
    cached: bool = True  # answers carry X-Cache


@pytest.fixture(scope="module")
def routes(sandbox) -> list[Route]:
    """Return every read route, aimed at one client whose document and phone are its own."""
    rows = raw_clients(sandbox)
    documents = [r["cedula"] for r in rows]

    def unique(row: dict[str, Any]) -> bool:
        phones = split_phones(row["telefono"])
        return (
            row["id_servicio"] % 10 == 0  # a row the missing_fields fault strips
            and bool(row["cedula"])
            and documents.count(row["cedula"]) == 1
            and len(phones) == 1
            and phone_owner_count(rows, phones[0]) == 1
        )

    row = first_row(rows, unique)
    claims = {"address": row["direccion"], "internet_plan_price": float(row["precio_plan"])}
    plan_id = row["plan_internet"]["id"]
    return [
        Route("list", "GET", "/api/v1/clients/"),
        Route("search", "GET", "/api/v1/clients/search?q=Esperanza"),
        Route("by-document", "GET", f"/api/v1/clients/by-document/{row['cedula']}"),
        Route("by-phone", "GET", f"/api/v1/clients/by-phone/{split_phones(row['telefono'])[0]}"),
        Route("by-service-id", "GET", f"/api/v1/clients/by-service-id/{row['id_servicio']}"),
        Route(
            "verify", "POST", f"/api/v1/clients/{row['id_servicio']}/verify", claims, cached=False
        ),
        Route("plans", "GET", "/api/v1/internet-plans/", plans=True),
        Route("plan", "GET", f"/api/v1/internet-plans/{plan_id}", plans=True),
    ]


def call(client, route: Route):
    """Send one route's request with the bot key."""
    return client.open(route.path, method=route.method, json=route.body, headers=AUTH)


def closed_port_url() -> str:
    """Return the URL of a local port nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def break_upstream(app, sandbox, mode: str) -> None:
    """Make WispHub Net fail in ``mode`` for every call this app makes from now on."""
    if mode == "refused":
        # As if WispHub's host went away: the same app, now aimed at a closed port.
        app.extensions["wisphub_api.services"].upstream.api_root = api_root(closed_port_url())
    else:
        sandbox.fault(mode, delay=SLOW_DELAY)


def fault_app(make_app, sandbox, **overrides):
    return make_app(
        WISPHUB_NET_HOST=sandbox.url, WISPHUB_NET_KEY=sandbox.api_key, **{**FAST, **overrides}
    )


def budget(**overrides) -> float:
    return upstream_budget(config_for_tests(**{**FAST, **overrides}))


def assert_upstream_error(response, status: int) -> None:
    assert response.status_code == status
    assert response.is_json
    assert response.json["code"].startswith("upstream")
    assert set(response.json) == {"detail", "code"}


# -- warm ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", FAULTS)
def test_warm_cache_serves_every_read_route_stale_when_upstream_fails(
    make_app, sandbox_clean, routes, mode
):
    app = fault_app(make_app, sandbox_clean)
    client = app.test_client()
    good = {route.name: call(client, route) for route in routes}
    assert all(answer.status_code == 200 for answer in good.values())
    assert good["verify"].json["is_valid"] is True
    break_upstream(app, sandbox_clean, mode)
    time.sleep(TTL_PASSED)
    for route in routes:
        answer = call(client, route)
        assert answer.status_code == 200, route.name
        assert answer.get_data() == good[route.name].get_data(), route.name
        if route.cached:
            spared = route.plans and mode in SPARES_PLANS  # its refresh may already be done
            assert answer.headers["X-Cache"] in ({"STALE", "HIT"} if spared else {"STALE"})
            assert int(answer.headers["X-Cache-Age"]) >= 1 or answer.headers["X-Cache"] == "HIT"


@pytest.mark.parametrize("mode", ["error", "stall"])
def test_warm_cache_heals_by_itself_when_upstream_returns(make_app, sandbox_clean, mode):
    app = fault_app(make_app, sandbox_clean, WARMUP_ON_START=True)
    client = app.test_client()
    wait_until(lambda: client.get("/health/ready").status_code == 200)
    sandbox_clean.fault(mode)
    time.sleep(TTL_PASSED)
    assert client.get("/api/v1/clients/", headers=AUTH).headers["X-Cache"] == "STALE"
    sandbox_clean.fault("ok")
    wait_until(lambda: client.get("/api/v1/clients/", headers=AUTH).headers["X-Cache"] == "HIT")
    assert client.get("/health/ready").json["clients"]["circuit"] == "closed"


def test_warm_cache_stops_serving_data_older_than_stale_max_age(make_app, sandbox_clean):
    app = fault_app(make_app, sandbox_clean, STALE_MAX_AGE=2)
    client = app.test_client()
    assert client.get("/api/v1/clients/", headers=AUTH).status_code == 200
    sandbox_clean.fault("error")
    time.sleep(2.15)
    assert_upstream_error(client.get("/api/v1/clients/", headers=AUTH), 503)
    assert client.get("/health/ready").status_code == 503


# -- cold ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", FAULTS)
def test_cold_cache_answers_json_5xx_within_budget_and_stores_nothing(
    make_app, sandbox_clean, routes, mode
):
    # A high threshold keeps the circuit closed: each route meets the fault itself.
    app = fault_app(make_app, sandbox_clean, CIRCUIT_FAILURE_THRESHOLD=1000)
    client = app.test_client()
    break_upstream(app, sandbox_clean, mode)
    limit = budget()
    for route in routes:
        started = time.monotonic()
        answer = call(client, route)
        elapsed = time.monotonic() - started
        assert elapsed < limit, f"{route.name} took {elapsed:.2f} s, budget {limit} s"
        if route.plans and mode in SPARES_PLANS:
            assert answer.status_code == 200
        else:
            assert_upstream_error(answer, COLD_STATUS[mode])
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json["clients"]["warm"] is False
    assert ready.json["clients"]["last_error"] is not None


@pytest.mark.parametrize("mode", ["error", "stall", "down"])
def test_cold_failure_heals_on_the_next_request_once_upstream_returns(
    make_app, sandbox_clean, mode
):
    app = fault_app(make_app, sandbox_clean)
    client = app.test_client()
    sandbox_clean.fault(mode)
    for _ in range(4):  # past the circuit's threshold of 3: it opens
        assert client.get("/api/v1/clients/", headers=AUTH).status_code in (502, 503, 504)
    assert client.get("/health/ready").json["clients"]["circuit"] == "open"
    sandbox_clean.fault("ok")
    wait_until(lambda: client.get("/api/v1/clients/", headers=AUTH).status_code == 200)
    answer = client.get("/api/v1/clients/", headers=AUTH)
    assert len(answer.json) == len(raw_clients(sandbox_clean))


def test_cold_failure_heals_through_the_background_loop(make_app, sandbox_clean):
    sandbox_clean.fault("error")
    app = fault_app(make_app, sandbox_clean, WARMUP_ON_START=True)
    client = app.test_client()
    wait_until(lambda: client.get("/health/ready").json["clients"]["last_error"] is not None)
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json["clients"]["last_error"] == "UpstreamUnavailable"
    sandbox_clean.fault("ok")
    wait_until(lambda: client.get("/health/ready").status_code == 200)  # no API call made


def test_cold_burst_during_a_stall_all_answer_within_budget(make_app, sandbox_clean):
    app = fault_app(make_app, sandbox_clean)
    sandbox_clean.fault("stall")

    def get(_: int) -> tuple[int, float]:
        started = time.monotonic()
        answer = app.test_client().get("/api/v1/clients/", headers=AUTH)
        assert answer.is_json
        return answer.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(get, range(30)))
    assert {status for status, _ in answers} <= {503, 504}
    assert max(elapsed for _, elapsed in answers) < budget()


def test_cold_stall_with_one_retry_still_answers_within_budget(make_app, sandbox_clean):
    app = fault_app(make_app, sandbox_clean, UPSTREAM_RETRIES=1)
    sandbox_clean.fault("stall")
    started = time.monotonic()
    answer = app.test_client().get("/api/v1/clients/", headers=AUTH)
    elapsed = time.monotonic() - started
    assert_upstream_error(answer, 504)
    assert 1.0 <= elapsed < budget(UPSTREAM_RETRIES=1)  # two reads of 0.5 s each were tried


# -- concurrency -------------------------------------------------------------------------------
def test_cold_burst_of_valid_verifications_is_never_locked_out(make_app, sandbox_clean):
    sandbox_clean.latency("300-300")  # every attempt is in flight while the client loads
    app = fault_app(make_app, sandbox_clean)
    claims = {"address": "BELLAVISTA", "internet_plan_price": 40000.0}

    def verify(_: int) -> int:
        return (
            app.test_client()
            .post("/api/v1/clients/7/verify", json=claims, headers=AUTH)
            .status_code
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(verify, range(20)))
    assert statuses == [200] * 20


def test_refresh_builds_each_snapshot_view_once_under_concurrent_reads(make_app, sandbox_clean):
    app = fault_app(make_app, sandbox_clean, REFRESH_AHEAD_FRACTION=0.5)
    assert app.test_client().get("/api/v1/clients/", headers=AUTH).status_code == 200
    events: list[str] = []
    app.extensions["wisphub_api.services"].stores["clients"].listeners.append(
        lambda _name, event: events.append(event)
    )
    stop = time.monotonic() + 2.5

    def read(_: int) -> None:
        client = app.test_client()
        while time.monotonic() < stop:
            assert client.get("/api/v1/clients/search?q=Esperanza", headers=AUTH).status_code == 200

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(read, range(16)))
    # A refresh still running adopts its view (load_shared) before it says refresh_ok: start no
    # more, and let that one finish before counting.
    store = app.extensions["wisphub_api.services"].stores["clients"]
    store.stop()
    deadline = time.monotonic() + 10
    while store._build_lock.locked() and time.monotonic() < deadline:
        time.sleep(0.01)
    refreshes = events.count("refresh_ok")
    assert refreshes >= 2
    # One process: the refresher installs its own view; at most one reader races it per version.
    assert events.count("load_shared") <= refreshes


# -- slow --------------------------------------------------------------------------------------
def test_slow_upstream_within_the_read_timeout_answers(make_app, sandbox_clean):
    app = fault_app(make_app, sandbox_clean, UPSTREAM_READ_TIMEOUT=SLOW_DELAY + 1)
    sandbox_clean.fault("slow", delay=SLOW_DELAY, path="/api/clientes/", count=1)
    started = time.monotonic()
    answer = app.test_client().get("/api/v1/clients/", headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["X-Cache"] == "MISS"
    assert len(answer.json) == len(raw_clients(sandbox_clean))
    assert SLOW_DELAY <= time.monotonic() - started < budget(UPSTREAM_READ_TIMEOUT=SLOW_DELAY + 1)


def wait_until(condition, timeout: float = 6.0) -> None:
    """Poll ``condition`` until it holds; fail the test when ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)
