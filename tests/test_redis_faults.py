"""Redis is an accelerator, not a single point of failure (gunicorn, two workers, Redis).

A Redis of the test's own (a redis-server on a free loopback port, stopped by its PID) is
killed, frozen and brought back under a warm API; reads keep answering from the workers'
memory, verification fails closed with a JSON 503, readiness names the degraded dependency,
every worker logs each change of state once, and service recovers without a restart.
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.stack.redis import RedisServer, redis_binary
from tests.support.sandbox import SandboxProcess
from tests.support.servers import GunicornServer, call, free_port

pytestmark = pytest.mark.slow

API_KEY = "redis-fault-key"
HEADERS = {"X-API-Key": API_KEY}
VALID = json.dumps({"address": "BELLAVISTA", "internet_plan_price": 40000.0}).encode()
READS = [
    "/api/v1/clients/",
    "/api/v1/clients/search?q=Esperanza",
    "/api/v1/clients/by-service-id/7",
    "/api/v1/clients/?limit=10&offset=20",
    "/api/v1/internet-plans/",
]


def private_redis() -> RedisServer:
    """A redis-server of this test only, on a free loopback port (stopped by its PID)."""
    if redis_binary() is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    return RedisServer().start()


def verify(port: int) -> tuple[int, dict]:
    headers = {**HEADERS, "Content-Type": "application/json"}
    answer = call(port, "POST", "/api/v1/clients/7/verify", headers=headers, body=VALID)
    return answer.status, answer.json()


def read_everything(port: int, rounds: int) -> list[int]:
    """GET every read route ``rounds`` times on fresh connections; return the statuses."""
    return [
        call(port, "GET", path, headers=HEADERS).status for _ in range(rounds) for path in READS
    ]


def state_lines(api: GunicornServer) -> list[str]:
    return [e["message"] for e in api.log_entries() if e.get("logger") == "wisphub_api.state"]


def start_api(tmp: Path, sandbox: SandboxProcess, redis_url: str) -> GunicornServer:
    env = {
        "WEB_CONCURRENCY": "2",
        "APP_ENV": "development",
        "WISPHUB_NET_HOST": sandbox.url,
        "WISPHUB_NET_KEY": sandbox.api_key,
        "WISPHUB_INTERNAL_API_KEY": API_KEY,
        "CACHE_REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": f"redis-fault-{uuid.uuid4().hex[:8]}:",
        "SHARED_STATE_RETRY_SECONDS": "1",
    }
    return GunicornServer(tmp, env).start()


@pytest.fixture
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(latency_ms="0", per_row_ms=0) as process:
        yield process


def test_redis_killed_reads_keep_answering_and_verification_fails_closed(tmp_path, sandbox):
    redis = private_redis()
    api = start_api(tmp_path, sandbox, redis.url)
    try:
        assert set(read_everything(api.port, 2)) == {200}
        assert verify(api.port)[0] == 200
        redis.signal(signal.SIGKILL)
        statuses = read_everything(api.port, 20)
        assert set(statuses) == {200}, statuses  # 0 x 5xx on warm reads
        status, body = verify(api.port)
        assert (status, body["code"]) == (503, "verification_unavailable")
        ready = call(api.port, "GET", "/health/ready")
        assert ready.status == 200
        assert ready.json()["status"] == "degraded" and "redis" in ready.json()["degraded"]
        redis.start()  # Redis comes back on the same port
        deadline = time.monotonic() + 15
        while verify(api.port)[0] != 200:  # recovery without a restart
            assert time.monotonic() < deadline, "verification never recovered"
            time.sleep(0.2)
        # Readiness is per worker: each recovers once its own breaker's interval has passed.
        in_a_row = 0
        while in_a_row < 6:
            status = call(api.port, "GET", "/health/ready").json()["status"]
            ready_now = status in {"ready", "stale"}
            in_a_row = in_a_row + 1 if ready_now else 0
            assert time.monotonic() < deadline + 15, "readiness never recovered"
            time.sleep(0 if ready_now else 0.2)
    finally:
        api.stop()
        redis.stop()
    lines = state_lines(api)
    assert 1 <= sum("unavailable" in line for line in lines) <= 2  # once per worker
    assert all("Traceback" not in e.get("exc", "") for e in api.log_entries())


def test_redis_hung_costs_one_timeout_per_interval_not_per_request(tmp_path, sandbox):
    redis = private_redis()
    api = start_api(tmp_path, sandbox, redis.url)
    try:
        assert set(read_everything(api.port, 1)) == {200}
        redis.signal(signal.SIGSTOP)  # Redis accepts nothing and answers nothing
        started = time.monotonic()
        statuses = read_everything(api.port, 10)
        verifies = [verify(api.port)[0] for _ in range(20)]
        elapsed = time.monotonic() - started
        redis.signal(signal.SIGCONT)
    finally:
        api.stop()
        redis.stop()
    assert set(statuses) == {200}
    assert set(verifies) == {503}
    # 70 requests; with a 5 s wait each (the old behaviour) this would take minutes.
    assert elapsed < 20


def test_api_started_while_redis_is_unreachable_serves_reads(tmp_path, sandbox):
    nothing = f"redis://127.0.0.1:{free_port()}/0"  # no server listens there
    api = start_api(tmp_path, sandbox, nothing)
    try:
        assert set(read_everything(api.port, 2)) == {200}
        status, body = verify(api.port)
        assert (status, body["code"]) == (503, "verification_unavailable")
        assert call(api.port, "GET", "/health/ready").json()["degraded"] == ["redis"]
    finally:
        api.stop()
