"""Single flight across gunicorn workers: a cold burst on two workers sharing Redis reads once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from tests.support.sandbox import SandboxProcess
from tests.support.servers import GunicornServer, call

KEY = "workers-test-key"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def cold_stack(tmp_path_factory) -> Iterator[tuple[GunicornServer, SandboxProcess]]:
    """Two gevent workers sharing Redis, no warm-up, before a sandbox with some latency."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    with SandboxProcess(latency_ms="100-150", per_row_ms=0.3) as sandbox:
        server = GunicornServer(
            tmp_path_factory.mktemp("workers"),
            {
                "WISPHUB_NET_HOST": sandbox.url,
                "WISPHUB_NET_KEY": sandbox.api_key,
                "WISPHUB_INTERNAL_API_KEY": KEY,
                "APP_ENV": "development",
                "WEB_CONCURRENCY": "2",
                "CACHE_REDIS_URL": REDIS_URL,
                "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}:",
                "WARMUP_ON_START": "false",
            },
            ready_path="/health",
        )
        server.start()
        try:
            yield server, sandbox
        finally:
            server.stop()


def test_cold_burst_across_two_workers_reads_each_page_once(cold_stack):
    server, sandbox = cold_stack
    sandbox.reset_stats()

    def get(_):
        answer = call(server.port, "GET", "/api/v1/clients/", headers={"X-API-Key": KEY})
        return answer.status

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(get, range(200)))
    assert statuses == [200] * 200
    pages = {
        page: n
        for page, n in sandbox.stats()["by_page"].items()
        if page.startswith("/api/clientes/?")
    }
    assert len(pages) == 5
    assert set(pages.values()) == {1}  # one listing for both workers, each page read once
    workers = (
        (Path("/proc") / str(server.process.pid) / "task" / str(server.process.pid) / "children")
        .read_text()
        .split()
    )
    assert len(workers) == 2
