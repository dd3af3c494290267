"""Support across gunicorn workers: a created ticket everywhere at once, one poll per window."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.sandbox import SandboxProcess
from tests.support.servers import GunicornServer, call
from tests.support.tickets import Examples
from tests.test_reliability_faults import wait_until

pytestmark = pytest.mark.slow

KEY = "support-workers-key"
HEADERS = {"X-API-Key": KEY}
POLL = 0.5


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[GunicornServer, SandboxProcess]]:
    """Two gevent workers sharing the host's state (no Redis), before their own sandbox."""
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        server = GunicornServer(
            tmp_path_factory.mktemp("support-workers"),
            {
                "WISPHUB_NET_HOST": sandbox.url,
                "WISPHUB_NET_KEY": sandbox.api_key,
                "WISPHUB_INTERNAL_API_KEY": KEY,
                "APP_ENV": "development",
                "WEB_CONCURRENCY": "2",
                "STATE_DIR": str(tmp_path_factory.mktemp("support-state")),
                "DIAGNOSTIC_POLL_SECONDS": str(POLL),
            },
        )
        server.start()
        try:
            yield server, sandbox
        finally:
            server.stop()


def get(server: GunicornServer, path: str):
    """GET on a fresh connection (so that requests spread over both workers)."""
    answer = call(server.port, "GET", path, headers=HEADERS)
    return answer.status, json.loads(answer.body)


def listings(sandbox: SandboxProcess) -> int:
    """Return how many open-ticket listings were read (their first page of estado 1)."""
    return sum(
        n for page, n in sandbox.stats()["by_page"].items()
        if page.startswith("/api/tickets/?") and "estado=1&" in page + "&" and "offset=0" in page
    )  # fmt: skip


def test_a_created_ticket_is_seen_by_every_worker_without_a_new_listing(stack):
    server, sandbox = stack
    sandbox.reset()
    client = Examples(sandbox).calm()["id_servicio"]
    sandbox.reset_stats()  # count the API's listings only
    path = f"/api/v1/clients/{client}/tickets"
    wait_until(lambda: get(server, path) and listings(sandbox) == 2, timeout=20)  # both warm
    body = json.dumps({"service_id": client, "subject": "Sin Internet", "description": "x"})
    created = call(
        server.port, "POST", "/api/v1/tickets", body=body.encode(),
        headers={**HEADERS, "Content-Type": "application/json"},
    )  # fmt: skip
    assert created.status == 201
    ticket = json.loads(created.body)
    time.sleep(0.5)  # longer than STATE_POLL_SECONDS (0.2): every worker has followed the log
    answers = [get(server, path) for _ in range(30)]
    assert answers == [(200, [ticket])] * 30
    assert listings(sandbox) == 2  # no worker had to read the listing again


def test_many_readers_on_both_workers_poll_once_per_window(stack):
    server, sandbox = stack
    sandbox.reset()
    sandbox.latency(task_seconds=3)
    started = call(
        server.port, "POST", "/api/v1/clients/21/diagnostics", body=b"{}",
        headers={**HEADERS, "Content-Type": "application/json"},
    )  # fmt: skip
    assert started.status == 202
    diagnostic_id = json.loads(started.body)["diagnostic_id"]
    begun = time.monotonic()

    def poll(_: int) -> str:
        while True:
            status, body = get(server, f"/api/v1/diagnostics/{diagnostic_id}")
            assert status == 200
            if body["status"] != "pending":
                return body["verdict"]
            time.sleep(0.05)

    with ThreadPoolExecutor(max_workers=16) as pool:
        verdicts = set(pool.map(poll, range(16)))
    windows = (time.monotonic() - begun) / POLL
    polls = sum(n for p, n in sandbox.stats()["by_path"].items() if p.startswith("/api/tasks/"))
    assert verdicts == {"stable"}
    assert 1 <= polls <= windows + 1
