"""The fault matrix of the support routes: warm reads serve stale, cold ones fail in JSON, writes
fail cleanly (nothing created, nothing sent twice)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from tests.conftest import AUTH
from tests.support.tickets import Examples, raw_tickets
from tests.test_reliability_faults import (
    COLD_STATUS,
    FAST,
    SLOW_DELAY,
    TTL_PASSED,
    assert_upstream_error,
    break_upstream,
    budget,
    wait_until,
)

SUPPORT_FAST = {**FAST, "TICKETS_CACHE_TTL": 1, "SUPPORT_CATALOGUE_TTL": 1}
FAULTS = [*COLD_STATUS, "rate_limited"]
COLD = {**COLD_STATUS, "rate_limited": 503}
TICKETS = "/api/tickets/"
# Faults of list answers only (rows whose id ends in 0 stripped, a count too high): a detail is
# not a list, and a listing without such a row is complete; both are rightly read fresh.
LIST_ONLY = {"missing_fields", "short_count"}


@dataclass(frozen=True)
class Read:
    """One support read route."""

    name: str
    path: str


@pytest.fixture(scope="module")
def reads(sandbox) -> list[Read]:
    """Return every support read route, aimed at rows the missing_fields fault strips."""
    sandbox.reset()
    tickets = raw_tickets(sandbox, (1, 2, 3, 4))
    owner = next(t["servicio"] for t in tickets if t["servicio"]["id_servicio"] % 10 == 0)
    ticket = next(t for t in tickets if t["id_ticket"] % 10 == 0)
    zone = owner["zona"]["id"]
    service_id = owner["id_servicio"]
    return [
        Read("open", f"/api/v1/clients/{service_id}/tickets"),
        Read("closed", f"/api/v1/clients/{service_id}/tickets?status=closed"),
        Read("all", f"/api/v1/clients/{service_id}/tickets?status=all"),
        Read("ticket", f"/api/v1/tickets/{ticket['id_ticket']}"),
        Read("outage", f"/api/v1/zones/{zone}/outage"),
        Read("zone-blocked", f"/api/tickets/zone-blocked/{zone}"),
    ]


@pytest.fixture(scope="module")
def examples(sandbox) -> Examples:
    sandbox.reset()
    return Examples(sandbox)


def support_app(make_app, sandbox, **overrides):
    return make_app(
        WISPHUB_NET_HOST=sandbox.url,
        WISPHUB_NET_KEY=sandbox.api_key,
        **{**SUPPORT_FAST, **overrides},
    )


def fault(app, sandbox, mode: str, **kwargs) -> None:
    if mode == "rate_limited":
        sandbox.fault(mode, retry_after=30, **kwargs)
    elif kwargs:
        sandbox.fault(mode, delay=SLOW_DELAY, **kwargs)
    else:
        break_upstream(app, sandbox, mode)


# -- warm reads ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", FAULTS)
def test_warm_support_reads_serve_stale_when_upstream_fails(make_app, sandbox_clean, reads, mode):
    app = support_app(make_app, sandbox_clean)
    client = app.test_client()
    good = {read.name: client.get(read.path, headers=AUTH) for read in reads}
    assert {read.name: good[read.name].status_code for read in reads} == {
        r.name: 200 for r in reads
    }
    fault(app, sandbox_clean, mode)
    time.sleep(TTL_PASSED)
    for read in reads:
        answer = client.get(read.path, headers=AUTH)
        assert answer.status_code == 200, (read.name, answer.json)
        assert answer.get_data() == good[read.name].get_data(), read.name
        fresh_ok = mode in LIST_ONLY and answer.headers["X-Cache"] == "MISS"
        assert fresh_ok or answer.headers["X-Cache"] == "STALE", read.name
        assert fresh_ok or int(answer.headers["X-Cache-Age"]) >= 1


# -- cold reads ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", FAULTS)
def test_cold_support_reads_answer_json_5xx_within_budget(make_app, sandbox_clean, reads, mode):
    app = support_app(make_app, sandbox_clean, CIRCUIT_FAILURE_THRESHOLD=1000)
    client = app.test_client()
    fault(app, sandbox_clean, mode)
    limit = budget()
    for read in reads:
        started = time.monotonic()
        answer = client.get(read.path, headers=AUTH)
        assert time.monotonic() - started < limit, read.name
        if read.name == "ticket" and mode in LIST_ONLY:
            assert answer.status_code == 200
            continue
        assert_upstream_error(answer, COLD[mode])
        if mode == "rate_limited":
            assert int(answer.headers["Retry-After"]) >= 1


def test_cold_reads_heal_once_upstream_returns(make_app, sandbox_clean, reads):
    app = support_app(make_app, sandbox_clean)
    client = app.test_client()
    sandbox_clean.fault("error")
    assert all(client.get(r.path, headers=AUTH).status_code == 503 for r in reads)
    sandbox_clean.fault("ok")
    assert all(client.get(r.path, headers=AUTH).status_code == 200 for r in reads)


# -- writes -------------------------------------------------------------------------------------
def ticket_posts(sandbox) -> int:
    """Return the POSTs of /api/tickets/ WispHub received (its calls there minus list pages)."""
    stats = sandbox.stats()
    pages = sum(n for page, n in stats["by_page"].items() if page.startswith(TICKETS + "?"))
    return stats["by_path"].get(TICKETS, 0) - pages


def warm_for_writes(client, service_id: int) -> None:
    """Load what a ticket needs before it is sent: the client, the listing, the catalogues."""
    assert client.get(f"/api/v1/clients/{service_id}/tickets", headers=AUTH).status_code == 200
    assert (
        client.get(f"/api/v1/clients/by-service-id/{service_id}", headers=AUTH).status_code == 200
    )


@pytest.mark.parametrize("mode", ["error", "down", "forbidden", "rate_limited", "stall", "slow"])
def test_a_ticket_write_that_fails_is_sent_once_and_creates_nothing_visible(
    make_app, sandbox_clean, examples, mode
):
    app = support_app(make_app, sandbox_clean, TICKETS_CACHE_TTL=60, SUPPORT_CATALOGUE_TTL=60)
    client = app.test_client()
    service_id = examples.calm()["id_servicio"]
    warm_for_writes(client, service_id)
    body = {"service_id": service_id, "subject": "Sin Internet", "description": "x"}
    sandbox_clean.reset_stats()
    fault(app, sandbox_clean, mode, path=TICKETS)
    answer = client.post("/api/v1/tickets", json=body, headers=AUTH)
    assert answer.status_code in (502, 503, 504) and answer.is_json
    assert set(answer.json) == {"detail", "code"}
    sandbox_clean.fault("ok")  # releases a stalled write
    if mode in ("error", "down", "forbidden", "rate_limited"):  # refused before WispHub acted
        assert sandbox_clean.stats()["by_status"].get("201", 0) == 0
    else:  # a stalled or slow write goes on once released: it lands, once
        wait_until(lambda: sandbox_clean.stats()["by_status"].get("201", 0) == 1)
    assert ticket_posts(sandbox_clean) == 1  # sent once, never again


@pytest.mark.parametrize("mode", ["rate_limited", "refused"])
def test_a_write_that_certainly_did_nothing_gives_its_key_back(
    make_app, sandbox_clean, examples, mode
):
    app = support_app(make_app, sandbox_clean, TICKETS_CACHE_TTL=60, SUPPORT_CATALOGUE_TTL=60)
    client = app.test_client()
    service_id = examples.calm()["id_servicio"]
    warm_for_writes(client, service_id)
    body = {"service_id": service_id, "subject": "Sin Internet", "description": "x"}
    headers = {**AUTH, "Idempotency-Key": f"fault-{mode}"}
    if mode == "refused":
        root = app.extensions["wisphub_api.services"].upstream.api_root
        break_upstream(app, sandbox_clean, mode)
    else:
        sandbox_clean.fault(mode, path=TICKETS, count=1, retry_after=1)
    assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 503
    if mode == "refused":
        app.extensions["wisphub_api.services"].upstream.api_root = root
    else:
        time.sleep(1.05)  # WispHub's Retry-After has passed
    retried = client.post("/api/v1/tickets", json=body, headers=headers)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers


@pytest.mark.parametrize("mode", ["error", "down", "forbidden", "rate_limited", "stall"])
def test_a_diagnostic_that_cannot_start_fails_cleanly(make_app, sandbox_clean, mode):
    app = support_app(make_app, sandbox_clean, TICKETS_CACHE_TTL=60, SUPPORT_CATALOGUE_TTL=60)
    client = app.test_client()
    warm_for_writes(client, 21)
    fault(app, sandbox_clean, mode, path="/api/clientes/21/ping/")
    started = time.monotonic()
    answer = client.post("/api/v1/clients/21/diagnostics", json={}, headers=AUTH)
    assert time.monotonic() - started < budget()
    assert answer.status_code in (502, 503, 504) and answer.is_json
    sandbox_clean.fault("ok")
    assert sandbox_clean.stats()["by_path"].get("/api/clientes/21/ping/", 0) == 1


def test_a_running_diagnostic_stays_readable_while_upstream_fails(make_app, sandbox_clean):
    sandbox_clean.latency(task_seconds=600)
    app = support_app(
        make_app, sandbox_clean, DIAGNOSTIC_POLL_SECONDS=0.2, DIAGNOSTIC_MAX_SECONDS=1.5
    )
    client = app.test_client()
    diagnostic_id = client.post("/api/v1/clients/21/diagnostics", json={}, headers=AUTH).json[
        "diagnostic_id"
    ]
    sandbox_clean.fault("error")
    answers = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        answers.append(client.get(f"/api/v1/diagnostics/{diagnostic_id}", headers=AUTH))
        time.sleep(0.1)
    assert {a.status_code for a in answers} == {200}
    assert answers[0].json["status"] == "pending"
    assert (answers[-1].json["status"], answers[-1].json["verdict"]) == ("failed", "error")
