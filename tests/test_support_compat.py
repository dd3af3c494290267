"""A bot written for the FastAPI middleware, run against its spellings and against /api/v1."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import AUTH
from tests.support.tickets import Examples

POLL = 0.3


@pytest.fixture(scope="module")
def examples(sandbox) -> Examples:
    """Pick the clients of each situation from the pristine sandbox."""
    sandbox.reset()
    return Examples(sandbox)


@pytest.fixture
def api(make_app, sandbox_clean):
    """Return a test client with quick diagnostics over quick sandbox tasks."""
    sandbox_clean.latency(task_seconds=0.6)
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        DIAGNOSTIC_POLL_SECONDS=POLL,
    )
    return app.test_client()


def until_done(read) -> dict[str, Any]:
    """Call ``read`` until its answer is no longer pending (bounded)."""
    deadline = time.monotonic() + 10
    while True:
        body = read()
        if body["status"] not in ("pending",) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def fastapi_bot(api, service_id: int) -> dict[str, Any]:
    """What a FastAPI-middleware bot does after "my internet is down"."""
    client = api.get(f"/api/clients/by-service-id/{service_id}", headers=AUTH).json
    blocked = api.get(f"/api/tickets/zone-blocked/{client['zone_id']}", headers=AUTH)
    assert blocked.status_code == 200 and set(blocked.json) == {"is_blocked", "max_tickets"}
    ping = api.post(f"/api/{service_id}/ping/", json={"pings": 3}, headers=AUTH)
    assert ping.status_code == 200 and set(ping.json) == {"task_id"}
    task_id = ping.json["task_id"]
    result = until_done(lambda: api.get(f"/api/ping/{task_id}/", headers=AUTH).json)
    assert set(result) == {"status", "message"}
    subjects = api.get("/api/tickets/subjects", headers=AUTH).json
    ticket = api.post(
        "/api/tickets",
        json={"service_id": service_id, "subject": subjects["by_priority"]["high"][0],
              "description": "No tiene internet", "technician_id": None,
              "zone_id": client["zone_id"]},
        headers=AUTH,
    )  # fmt: skip
    return {
        "outage": blocked.json["is_blocked"],
        "verdict": result["status"],
        "ticket": (ticket.status_code, ticket.json),
    }


def our_bot(api, service_id: int) -> dict[str, Any]:
    """The same conversation through /api/v1."""
    client = api.get(f"/api/v1/clients/by-service-id/{service_id}", headers=AUTH).json
    outage = api.get(f"/api/v1/zones/{client['zone_id']}/outage", headers=AUTH).json
    started = api.post(f"/api/v1/clients/{service_id}/diagnostics", json={"pings": 3},
                       headers=AUTH).json  # fmt: skip
    path = f"/api/v1/diagnostics/{started['diagnostic_id']}"
    result = until_done(lambda: api.get(path, headers=AUTH).json)
    subjects = api.get("/api/v1/tickets/subjects", headers=AUTH).json
    ticket = api.post(
        "/api/v1/tickets",
        json={"service_id": service_id, "subject": subjects["by_priority"]["high"][0],
              "description": "No tiene internet"},
        headers=AUTH,
    )  # fmt: skip
    return {
        "outage": outage["known_outage"],
        "verdict": result["verdict"],
        "ticket": (ticket.status_code, ticket.json),
        "known_outage": result["known_outage"],
    }


@pytest.mark.parametrize("situation", ["calm", "outage_by_tickets", "outage_by_router"])
def test_both_spellings_tell_the_same_story(api, sandbox_clean, examples, situation):
    service_id = getattr(examples, situation)()["id_servicio"]
    theirs = fastapi_bot(api, service_id)
    ours = our_bot(api, service_id)
    assert theirs["verdict"] == ours["verdict"] != "pending"
    if situation == "calm":
        assert theirs["outage"] is ours["outage"] is ours["known_outage"] is False
        status, ticket = theirs["ticket"]
        assert status == 201
        assert ours["ticket"] == (200, ticket)  # the same ticket: never a second one
        assert sandbox_clean.stats()["by_status"].get("201", 0) == 1
    else:
        assert theirs["outage"] is ours["outage"] is ours["known_outage"] is True
        assert theirs["ticket"][0] == ours["ticket"][0] == 409
        assert theirs["ticket"][1]["code"] == ours["ticket"][1]["code"] == "known_outage"
        assert sandbox_clean.stats()["by_status"].get("201", 0) == 0


def test_compat_ping_of_an_unknown_task_is_404(api):
    answer = api.get(f"/api/ping/{'a' * 32}/", headers=AUTH)
    assert (answer.status_code, answer.json["code"]) == (404, "diagnostic_not_found")


def test_compat_spellings_are_not_served_under_v1(api):
    for path in ("/api/v1/tickets/zone-blocked/1", f"/api/v1/ping/{'a' * 32}/"):
        assert api.get(path, headers=AUTH).status_code == 404


def test_compat_zone_blocked_of_an_unknown_zone_is_404(api, sandbox_clean):
    assert api.get("/api/tickets/zone-blocked/1", headers=AUTH).status_code == 404
