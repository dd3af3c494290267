"""Diagnostics over the real sandbox: start, wait, read, verdicts, cost of polling, outages."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import AUTH
from tests.support.tickets import Examples
from tests.test_reliability_faults import wait_until
from wisphub_api.sandbox.ping import SCENARIOS

POLL = 0.3  # DIAGNOSTIC_POLL_SECONDS here, so that tests take little time
TASK_SECONDS = 0.6  # how long the sandbox's ping tasks run here
# The verdict each sandbox scenario must get (the rules of issue 15 over sandbox/ping.py).
VERDICTS = {
    "failure": ("failed", "error"),
    "reply_ip": ("done", "stable"),
    "reply_ip_loss": ("done", "stable"),
    "reply_mac": ("done", "stable"),
    "antenna_only": ("done", "antenna_only"),
    "timeout": ("done", "no_internet"),
    "unreachable": ("done", "no_internet"),
    "interface_error": ("done", "error"),
}


@pytest.fixture(scope="module")
def examples(sandbox) -> Examples:
    """Pick the clients of each situation from the pristine sandbox."""
    sandbox.reset()
    return Examples(sandbox)


@pytest.fixture
def quick(make_app, sandbox_clean):
    """Return a test client whose diagnostics poll every POLL s over tasks of TASK_SECONDS."""
    sandbox_clean.latency(task_seconds=TASK_SECONDS)
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        DIAGNOSTIC_POLL_SECONDS=POLL,
        DIAGNOSTIC_MAX_SECONDS=5,
    )
    return app.test_client()


def start(api, service_id: int, wait: int | None = None, **body):
    query = f"?wait={wait}" if wait is not None else ""
    path = f"/api/v1/clients/{service_id}/diagnostics{query}"
    return api.post(path, json=body, headers=AUTH)


def read(api, diagnostic_id: str):
    return api.get(f"/api/v1/diagnostics/{diagnostic_id}", headers=AUTH)


def task_polls(sandbox) -> int:
    return sum(
        n for path, n in sandbox.stats()["by_path"].items() if path.startswith("/api/tasks/")
    )


def test_start_answers_202_pending_with_its_location(quick, sandbox_clean):
    answer = start(quick, 11, pings=2)
    assert answer.status_code == 202
    assert set(answer.json) == {"diagnostic_id", "status"} and answer.json["status"] == "pending"
    assert answer.headers["Location"] == f"/api/v1/diagnostics/{answer.json['diagnostic_id']}"
    assert sandbox_clean.stats()["by_path"]["/api/clientes/11/ping/"] == 1


def test_reading_a_started_diagnostic_ends_with_its_verdict(quick, sandbox_clean):
    diagnostic_id = start(quick, 11).json["diagnostic_id"]
    assert read(quick, diagnostic_id).json["status"] == "pending"
    wait_until(lambda: read(quick, diagnostic_id).json["status"] != "pending")
    body = read(quick, diagnostic_id).json
    assert body["diagnostic_id"] == diagnostic_id and body["service_id"] == 11
    assert (body["status"], body["verdict"]) == VERDICTS[SCENARIOS[11 % 10]]


@pytest.mark.parametrize("service_id", range(20, 30))
def test_wait_answers_200_with_each_scenarios_verdict(quick, service_id):
    answer = start(quick, service_id, wait=10, pings=3)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["status"], body["verdict"]) == VERDICTS[SCENARIOS[service_id % 10]]
    assert answer.headers["Location"] == f"/api/v1/diagnostics/{body['diagnostic_id']}"
    assert read(quick, body["diagnostic_id"]).json == body
    if body["status"] == "done":
        assert body["packets_sent"] == (0 if body["verdict"] == "error" else 3)
        assert body["packets_received"] <= body["packets_sent"]
        assert (body["avg_rtt_ms"] is None) == (body["packets_received"] == 0)


def test_lost_first_packet_is_counted(quick):
    service_id = next(s for s in range(30, 40) if SCENARIOS[s % 10] == "reply_ip_loss")
    body = start(quick, service_id, wait=10, pings=4).json
    assert (body["verdict"], body["packets_sent"], body["packets_received"]) == ("stable", 4, 3)


def test_messages_never_echo_what_the_router_said(quick, sandbox_clean):
    for scenario in ("failure", "interface_error", "unreachable"):
        service_id = next(s for s in range(40, 50) if SCENARIOS[s % 10] == scenario)
        message = start(quick, service_id, wait=10).json["message"]
        assert "10.10." not in message and "input does not match" not in message
        assert "No se pudo" not in message


def test_wait_that_ends_first_answers_202_pending(quick, sandbox_clean):
    sandbox_clean.latency(task_seconds=3)
    started = time.monotonic()
    answer = start(quick, 12, wait=1)
    assert answer.status_code == 202 and answer.json["status"] == "pending"
    assert time.monotonic() - started >= 1  # it did wait for the task first


def test_many_readers_poll_wisphub_once_per_window(quick, sandbox_clean):
    sandbox_clean.latency(task_seconds=2)
    diagnostic_id = start(quick, 13).json["diagnostic_id"]
    started = time.monotonic()

    def poll(_: int) -> None:
        while read(quick, diagnostic_id).json["status"] == "pending":
            time.sleep(0.01)

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(poll, range(20)))
    windows = (time.monotonic() - started) / POLL
    assert 1 <= task_polls(sandbox_clean) <= windows + 1


def test_a_task_that_never_ends_fails_after_the_limit(make_app, sandbox_clean):
    sandbox_clean.latency(task_seconds=600)
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url,
        WISPHUB_NET_KEY=sandbox_clean.api_key,
        DIAGNOSTIC_POLL_SECONDS=0.2,
        DIAGNOSTIC_MAX_SECONDS=1,
    )
    answer = start(app.test_client(), 14, wait=3)
    assert answer.status_code == 200
    assert (answer.json["status"], answer.json["verdict"]) == ("failed", "error")


def test_known_outage_is_said_for_each_kind(quick, examples):
    for client, known in (
        (examples.outage_by_tickets(), True),
        (examples.outage_by_router(), True),
        (examples.calm(), False),
    ):
        answer = start(quick, client["id_servicio"])
        assert read(quick, answer.json["diagnostic_id"]).json["known_outage"] is known


def test_unknown_client_is_404_and_pings_nothing(quick, sandbox_clean, examples):
    unknown = max(row["id_servicio"] for row in examples.rows) + 1
    answer = start(quick, unknown)
    assert (answer.status_code, answer.json["code"]) == (404, "client_not_found")
    assert not [p for p in sandbox_clean.stats()["by_path"] if p.endswith("/ping/")]


@pytest.mark.parametrize(
    ("query", "body"),
    [("", {"pings": 0}), ("", {"pings": 11}), ("", {"pings": "3"}), ("", {"pings": True}),
     ("", {"interfaz": "ether1"}), ("?wait=26", {}), ("?wait=-1", {}), ("?wait=x", {}),
     ("?other=1", {})],
)  # fmt: skip
def test_bad_request_is_422(quick, query, body):
    answer = quick.post(f"/api/v1/clients/7/diagnostics{query}", json=body, headers=AUTH)
    assert answer.status_code == 422


def test_default_is_four_pings(quick, sandbox_clean):
    service_id = next(s for s in range(50, 60) if SCENARIOS[s % 10] == "reply_ip")
    assert start(quick, service_id, wait=10).json["packets_sent"] == 4


@pytest.mark.parametrize("bad", ["0" * 32, "f" * 31, "not-a-diagnostic-id-of-32-chars!"])
def test_unknown_diagnostic_is_404(quick, bad):
    answer = read(quick, bad)
    assert answer.status_code == 404


def test_idempotency_key_starts_one_ping(quick, sandbox_clean):
    headers = {**AUTH, "Idempotency-Key": "diag-1"}
    first = quick.post("/api/v1/clients/15/diagnostics", json={}, headers=headers)
    again = quick.post("/api/v1/clients/15/diagnostics", json={}, headers=headers)
    assert again.json == first.json
    assert sandbox_clean.stats()["by_path"]["/api/clientes/15/ping/"] == 1
