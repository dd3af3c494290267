"""/metrics under the real gunicorn command with two workers: one scrape sums both."""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.sandbox import SandboxProcess
from tests.support.servers import GunicornServer, call

pytestmark = pytest.mark.slow

API_KEY = "multiprocess-test-key"
REQUESTS = 20
WAIT_SECONDS = 20.0
BOOTING = re.compile(r"Booting worker with pid: (\d+)")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[GunicornServer]:
    """Run gunicorn with 2 workers, each with its own SimpleCache, and the default metrics dir."""
    logs = tmp_path_factory.mktemp("multiprocess")
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        gunicorn = GunicornServer(
            logs,
            {
                "WEB_CONCURRENCY": "2",
                "WISPHUB_NET_HOST": sandbox.url,
                "WISPHUB_NET_KEY": sandbox.api_key,
                "WISPHUB_INTERNAL_API_KEY": API_KEY,
                "APP_ENV": "development",
                "CACHE_TYPE": "SimpleCache",
            },
        )
        try:
            yield gunicorn.start()
        finally:
            gunicorn.stop()
            shutil.rmtree(default_metrics_dir(gunicorn), ignore_errors=True)


def default_metrics_dir(gunicorn: GunicornServer) -> Path:
    """Return the directory gunicorn.conf.py makes when PROMETHEUS_MULTIPROC_DIR is unset."""
    return Path(tempfile.gettempdir()) / f"wisphub_api-metrics-{gunicorn.port}"


def scrape(gunicorn: GunicornServer) -> dict[tuple[str, frozenset], float]:
    """Return the samples of one GET /metrics."""
    answer = call(gunicorn.port, "GET", "/metrics")
    assert answer.status == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.body.decode())
        for s in family.samples
    }


def sample(samples, name: str, **labels: str) -> float:
    """Return one sample's value, 0 when absent."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def warm_loads(gunicorn: GunicornServer) -> float:
    """Return how many client snapshots the workers adopted, as one scrape reports it."""
    return sample(
        scrape(gunicorn), "wisphub_api_cache_events_total", store="clients", event="load_shared"
    )


def wait_for(predicate, what: str) -> None:
    """Poll ``predicate`` until it holds or WAIT_SECONDS pass."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_multiprocess_default_dir_holds_both_workers_files(server):
    wait_for(lambda: warm_loads(server) >= 2, "both workers to load the snapshot")
    pids = {
        m.group(1)
        for m in re.finditer(
            r"_(\d+)\.db$", "\n".join(p.name for p in default_metrics_dir(server).iterdir()), re.M
        )
    }
    assert len(pids) == 2


def test_multiprocess_scrape_sums_the_workers(server):
    # The host builds the snapshot once and each worker adopts it: one adoption per worker.
    wait_for(lambda: warm_loads(server) >= 2, "both workers to load the snapshot")
    assert warm_loads(server) == 2
    for _ in range(REQUESTS):  # a new connection each time, so both workers take some
        assert (
            call(
                server.port, "GET", "/api/v1/internet-plans/", headers={"X-API-Key": API_KEY}
            ).status
            == 200
        )
    labels = {"method": "GET", "route": "/api/v1/internet-plans/", "status": "200"}
    assert sample(scrape(server), "wisphub_api_http_requests_total", **labels) == REQUESTS


def test_multiprocess_dead_worker_keeps_counts_but_drops_live_gauges(server):
    wait_for(lambda: warm_loads(server) >= 2, "both workers to load the snapshot")
    before = warm_loads(server)
    victim = BOOTING.findall(server.logs())[0]
    gauge_file = default_metrics_dir(server) / f"gauge_livemax_{victim}.db"
    wait_for(gauge_file.exists, "the worker's live gauge file")
    os.kill(int(victim), signal.SIGKILL)  # a worker of the gunicorn this module started
    wait_for(lambda: len(BOOTING.findall(server.logs())) >= 3, "gunicorn to replace the worker")
    wait_for(lambda: not gauge_file.exists(), "child_exit to drop the dead worker's gauges")
    # The replacement loads its own snapshot; the dead worker's load is still counted.
    wait_for(lambda: warm_loads(server) >= before + 1, "the replacement worker's load")
