"""Identity checks as operators run them: gunicorn, two gevent workers, one shared store.

Each scenario runs twice: with Redis shared by the workers, and with the default embedded store
(an SQLite file the workers of one host share). Requests use fresh connections and are released
together by a barrier, so the workers really decide them at the same time.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.support.sandbox import SandboxProcess
from tests.support.servers import Answer, GunicornServer, call
from tests.support.state import redis_url
from tests.support.upstream_data import raw_clients

pytestmark = pytest.mark.slow

API_KEY = "concurrency-test-key"
WRONG = {"address": "NO EXISTE", "internet_plan_price": 1.0}
WINDOW_SECONDS = 3


@dataclass
class Stack:
    """The API under gunicorn, and claims that verify the first clients of its sandbox."""

    api: GunicornServer
    claims: dict[int, dict]

    @property
    def port(self) -> int:
        return self.api.port

    def valid(self, service_id: int) -> dict:
        return self.claims[service_id]


@pytest.fixture(scope="module", params=["local", "redis"])
def server(request, tmp_path_factory) -> Iterator[Stack]:
    """Start a sandbox and gunicorn (2 workers) sharing the store named by the parameter."""
    logs = tmp_path_factory.mktemp(f"verify-{request.param}")
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        claims = {
            row["id_servicio"]: {
                "address": row["direccion"],
                "internet_plan_price": float(row["precio_plan"]),
            }
            for row in raw_clients(sandbox)[:20]
        }
        env = {
            "WEB_CONCURRENCY": "2",
            "APP_ENV": "development",
            "WISPHUB_NET_HOST": sandbox.url,
            "WISPHUB_NET_KEY": sandbox.api_key,
            "WISPHUB_INTERNAL_API_KEY": API_KEY,
            "STATE_DIR": str(logs / "state"),
            "VERIFY_WINDOW_SECONDS": str(WINDOW_SECONDS),
            "CACHE_KEY_PREFIX": f"verify-test-{uuid.uuid4().hex[:12]}:",
        }
        if request.param == "redis":
            env["CACHE_REDIS_URL"] = redis_url()
        api = GunicornServer(logs, env).start()
        try:
            yield Stack(api, claims)
        finally:
            api.stop()


def verify(port: int, service_id: int, claims: dict, end_user: str | None = None) -> Answer:
    headers = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
    if end_user is not None:
        headers["X-End-User"] = end_user
    path = f"/api/v1/clients/{service_id}/verify"
    return call(port, "POST", path, headers=headers, body=json.dumps(claims).encode())


def at_once(count: int, send) -> list[Answer]:
    """Send ``count`` requests released together, each on a fresh connection."""
    barrier = threading.Barrier(count)

    def one(_: int) -> Answer:
        barrier.wait(30)
        return send()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_honest_checks_are_never_refused(server):
    answers = at_once(300, lambda: verify(server.port, 7, server.valid(7)))
    assert [a.status for a in answers] == [200] * 300, {a.body for a in answers if a.status != 200}
    assert all(a.json()["is_valid"] is True for a in answers)


def test_concurrent_guesses_evaluate_at_most_the_limit(server):
    answers = at_once(60, lambda: verify(server.port, 11, WRONG))
    evaluated = [a for a in answers if a.status == 200]
    refused = [a for a in answers if a.status == 429]
    assert len(evaluated) == 5
    assert all(a.json()["is_valid"] is False for a in evaluated)
    assert len(refused) == 55
    assert all(int(a.headers["Retry-After"]) >= 1 for a in refused)
    assert all(a.json()["code"] == "verification_locked" for a in refused)
    right = verify(server.port, 11, server.valid(11))  # a correct guess after the fifth failure
    assert right.status == 429  # the lock reveals nothing


def test_refusals_neither_count_nor_extend_the_window(server):
    answers = [verify(server.port, 12, WRONG).status for _ in range(5)]
    assert answers == [200] * 5
    locked_at = time.monotonic()
    while time.monotonic() - locked_at < WINDOW_SECONDS - 1:
        assert verify(server.port, 12, WRONG).status == 429  # refused, and not counted
        time.sleep(0.2)
    deadline = locked_at + WINDOW_SECONDS + 5
    while verify(server.port, 12, server.valid(12)).status == 429:  # the first window ends on time
        assert time.monotonic() < deadline, "the lock outlived its window"
        time.sleep(0.2)
    assert verify(server.port, 12, server.valid(12)).json()["is_valid"] is True


def test_a_stranger_locks_only_themselves(server):
    for _ in range(5):
        assert verify(server.port, 13, WRONG, end_user="stranger").status == 200
    assert verify(server.port, 13, server.valid(13), end_user="stranger").status == 429
    subscriber = verify(server.port, 13, server.valid(13), end_user="+573001112233")
    assert subscriber.status == 200 and subscriber.json()["is_valid"] is True


def test_many_strangers_hit_the_service_ceiling(server):
    for number in range(4):
        for _ in range(5):
            assert verify(server.port, 14, WRONG, end_user=f"stranger-{number}").status == 200
    assert verify(server.port, 14, server.valid(14), end_user="+573001112233").status == 429


def test_a_malformed_end_user_is_refused_with_422(server):
    answer = verify(server.port, 7, server.valid(7), end_user="x" * 129)
    assert answer.status == 422
    assert "X-End-User" in answer.json()["errors"]
