"""Known outages over the real sandbox: a zone's open tickets, a router's falla_general."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH
from tests.support.tickets import MAX_OPEN, Examples, zone_ids
from tests.support.upstream_data import raw_clients


@pytest.fixture(scope="module")
def examples(sandbox) -> Examples:
    """Pick the clients of each situation from the pristine sandbox."""
    sandbox.reset()
    return Examples(sandbox)


def outage(api, zone_id: int):
    return api.get(f"/api/v1/zones/{zone_id}/outage", headers=AUTH)


def test_every_zone_says_its_open_tickets_and_whether_it_is_out(api, sandbox_clean, examples):
    failing_zones = {
        row["zona"]["id"]
        for row in raw_clients(sandbox_clean)
        if row["router"]["id"] in examples.failing
    }
    for zone in zone_ids(sandbox_clean):
        answer = outage(api, zone)
        assert answer.status_code == 200
        by_tickets = examples.open[zone] >= MAX_OPEN
        expected_reason = (
            "open_tickets" if by_tickets else "router_failure" if zone in failing_zones else None
        )
        assert answer.json == {
            "zone_id": zone,
            "known_outage": expected_reason is not None,
            "open_tickets": examples.open[zone],
            "max_open_tickets": MAX_OPEN,
            "reason": expected_reason,
        }


def test_the_sandbox_has_each_kind_of_zone(api, sandbox_clean):
    reasons = {outage(api, zone).json["reason"] for zone in zone_ids(sandbox_clean)}
    assert reasons == {"open_tickets", "router_failure", None}


def test_unknown_zone_is_404(api, sandbox_clean):
    unknown = max(zone_ids(sandbox_clean)) + 1
    answer = outage(api, unknown)
    assert (answer.status_code, answer.json["code"]) == (404, "zone_not_found")


def test_the_limit_is_a_setting(make_app, sandbox_clean, examples):
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        MAX_OPEN_TICKETS_PER_ZONE=1,
    )
    zone = examples.calm()["zona"]["id"]
    answer = outage(app.test_client(), zone)
    assert answer.json["max_open_tickets"] == 1
    assert answer.json["known_outage"] is (examples.open[zone] >= 1)


def test_a_created_ticket_counts_in_its_zone_at_once(api, sandbox_clean, examples):
    client = examples.calm()
    zone = client["zona"]["id"]
    before = outage(api, zone).json["open_tickets"]
    body = {"service_id": client["id_servicio"], "subject": "Sin Internet", "description": "x"}
    assert api.post("/api/v1/tickets", json=body, headers=AUTH).status_code == 201
    assert outage(api, zone).json["open_tickets"] == before + 1
    assert outage(api, zone).headers["X-Cache"] == "HIT"  # no new listing was needed


def test_the_zones_of_a_failing_router_are_read_once_for_every_zone(api, sandbox_clean, examples):
    for zone in zone_ids(sandbox_clean):
        outage(api, zone)
    pages = {
        page: n for page, n in sandbox_clean.stats()["by_page"].items()
        if page.startswith("/api/clientes/?")
    }  # fmt: skip
    # One filtered listing (every page once) for the one failing router, for every zone.
    assert pages and set(pages.values()) == {1}
    assert {page.split("router=")[1] for page in pages} == {str(r) for r in examples.failing}


@pytest.mark.parametrize("bad", ["abc", "0"])
def test_malformed_zone_id_is_422(api, bad):
    answer = outage(api, bad)
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"zone_id"}
