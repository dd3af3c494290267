"""No lost writes: every worker shows every write at once, and no refresh hides one.

gunicorn with two gevent workers, with Redis shared by the workers and with the default embedded
store (SQLite on the host). Reads use fresh connections, so both workers answer them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from tests.support.sandbox import SandboxProcess
from tests.support.servers import Answer, GunicornServer, call
from tests.support.state import redis_url

pytestmark = pytest.mark.slow

API_KEY = "writes-test-key"
HEADERS = {"X-API-Key": API_KEY}
VISIBLE_WITHIN = 1.0  # seconds: STATE_POLL_SECONDS is 0.2
READS_PER_CHECK = 8  # fresh connections: both workers answer some


@dataclass
class Stack:
    api: GunicornServer
    sandbox: SandboxProcess

    def get(self, path: str) -> Answer:
        return call(self.api.port, "GET", path, headers=HEADERS)

    def put(self, service_id: int, body: dict) -> Answer:
        headers = {**HEADERS, "Content-Type": "application/json"}
        return call(
            self.api.port,
            "PUT",
            f"/api/v1/clients/{service_id}",
            headers=headers,
            body=json.dumps(body).encode(),
        )


@pytest.fixture(scope="module", params=["local", "redis"])
def stack(request, tmp_path_factory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp(f"writes-{request.param}")
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        env = {
            "WEB_CONCURRENCY": "2",
            "APP_ENV": "development",
            "WISPHUB_NET_HOST": sandbox.url,
            "WISPHUB_NET_KEY": sandbox.api_key,
            "WISPHUB_INTERNAL_API_KEY": API_KEY,
            "STATE_DIR": str(logs / "state"),
            "CACHE_KEY_PREFIX": f"writes-test-{uuid.uuid4().hex[:12]}:",
            "CLIENTS_CACHE_TTL": "6",
            "REFRESH_AHEAD_FRACTION": "0.5",
        }
        if request.param == "redis":
            env["CACHE_REDIS_URL"] = redis_url()
        api = GunicornServer(logs, env).start()
        try:
            yield Stack(api, sandbox)
        finally:
            api.stop()


def all_shown(stack: Stack, writes: dict[int, str]) -> bool:
    """Tell whether every read (by id, search, the list, a page) shows every write now."""
    listing = {c["service_id"]: c for c in stack.get("/api/v1/clients/").json()}
    for service_id, address in writes.items():
        if listing[service_id]["address"] != address:
            return False
        page = stack.get(f"/api/v1/clients/?offset={service_id - 1}&limit=1").json()
        hits = stack.get(f"/api/v1/clients/search?q={quote(address.split()[-1])}").json()
        if page[0]["address"] != address or service_id not in [h["service_id"] for h in hits]:
            return False
        for _ in range(READS_PER_CHECK):
            found = stack.get(f"/api/v1/clients/by-service-id/{service_id}").json()
            if found["address"] != address:
                return False
    return True


def visible_after(stack: Stack, writes: dict[int, str], written: float) -> float:
    """Return how long after ``written`` a full check began that found every write shown."""
    while True:
        began = time.monotonic()
        if all_shown(stack, writes):
            return began - written
        assert began - written < 10, "the writes were never all shown"


def shows(stack: Stack, service_id: int, address: str) -> bool:
    """Tell whether every read shows ``address`` for ``service_id`` now."""
    return all_shown(stack, {service_id: address})


def concurrent_puts(stack: Stack, service_ids: list[int]) -> dict[int, str]:
    tag = uuid.uuid4().hex[:6].upper()
    writes = {sid: f"VEREDA ESCRITA {tag}{sid}" for sid in service_ids}
    barrier = threading.Barrier(len(writes))

    def put(sid: int) -> int:
        barrier.wait(30)
        return stack.put(sid, {"address": writes[sid]}).status

    with ThreadPoolExecutor(max_workers=len(writes)) as pool:
        assert list(pool.map(put, writes)) == [200] * len(writes)
    return writes


@pytest.mark.parametrize("count", [10, 50])
def test_concurrent_puts_are_all_visible_everywhere_within_a_second(stack, count):
    first = 100 if count == 10 else 200
    writes = concurrent_puts(stack, list(range(first, first + count)))
    assert visible_after(stack, writes, time.monotonic()) <= VISIBLE_WITHIN


def test_a_refresh_that_started_before_a_put_never_hides_it(stack):
    stack.sandbox.latency("0", per_row_ms=3)  # a listing takes a few seconds
    try:
        before = stack.sandbox.stats()["by_page"]
        first_page = "/api/clientes/?limit=300&offset=0"
        deadline = time.monotonic() + 20
        while stack.sandbox.stats()["by_page"].get(first_page, 0) <= before.get(first_page, 0):
            assert time.monotonic() < deadline, "no refresh started"
            time.sleep(0.05)
        # A refresh is reading WispHub now and has already read client 5's page.
        written = "VEREDA TARDIA " + uuid.uuid4().hex[:6].upper()
        assert stack.put(5, {"address": written}).status == 200
        ages = []
        deadline = time.monotonic() + 30
        while True:  # until the refresh that started before the PUT is served
            ready = stack.get("/health/ready").json()
            ages.append(ready["clients"]["age_seconds"])
            if len(ages) > 1 and ages[-1] < ages[-2]:
                break
            assert time.monotonic() < deadline, "the refresh never finished"
            time.sleep(0.1)
        assert shows(stack, 5, written)
    finally:
        stack.sandbox.latency("0", per_row_ms=0)
