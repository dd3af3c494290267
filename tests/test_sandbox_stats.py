"""The sandbox's call counting (`/__stats`), latency model and concurrency over real HTTP."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.sandbox import SandboxProcess

pytest_plugins = ["tests.support.sandbox"]


def test_stats_count_calls_by_path_page_and_status(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.get("/api/clientes/?limit=300&offset=0")
    sandbox_clean.get("/api/clientes/?limit=300&offset=0")
    sandbox_clean.get("/api/clientes/?offset=300&limit=1000")
    sandbox_clean.get("/api/clientes/7/")
    requests.get(f"{sandbox_clean.url}/api/plan-internet/", timeout=5)
    stats = sandbox_clean.stats()
    assert stats["total"] == 5
    assert stats["by_path"] == {
        "/api/clientes/": 3,
        "/api/clientes/7/": 1,
        "/api/plan-internet/": 1,
    }
    assert stats["by_page"] == {
        "/api/clientes/?limit=300&offset=0": 2,
        "/api/clientes/?limit=300&offset=300": 1,
        "/api/plan-internet/?limit=50&offset=0": 1,
    }
    assert stats["by_status"] == {"200": 4, "403": 1}


def test_stats_page_key_keeps_filters_and_ignored_page(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.get("/api/clientes/?page=2&cedula=1")
    expected = "/api/clientes/?limit=50&offset=0&cedula=1&page=2"
    assert list(sandbox_clean.stats()["by_page"]) == [expected]


def test_stats_count_faulted_calls(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.fault("error", count=1)
    sandbox_clean.get("/api/clientes/")
    stats = sandbox_clean.stats()
    assert stats["total"] == 1
    assert stats["by_status"] == {"500": 1}


def test_stats_ignore_control_plane_and_reset(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.get("/api/clientes/?limit=1")
    requests.get(f"{sandbox_clean.url}/__health", timeout=5)
    assert sandbox_clean.stats()["total"] == 1
    sandbox_clean.reset_stats()
    assert sandbox_clean.stats() == {"total": 0, "by_path": {}, "by_page": {}, "by_status": {}}


def _timed(sandbox: SandboxProcess, path: str) -> float:
    started = time.monotonic()
    assert sandbox.get(path).status_code == 200
    return time.monotonic() - started


def test_latency_fixed_range_delays_each_call(sandbox_clean: SandboxProcess) -> None:
    assert _timed(sandbox_clean, "/api/clientes/?limit=1") < 0.15
    sandbox_clean.latency("200-200")
    assert _timed(sandbox_clean, "/api/clientes/?limit=1") >= 0.2


def test_latency_per_row_grows_with_page_size(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.latency("0", per_row_ms=4)
    assert _timed(sandbox_clean, "/api/clientes/?limit=100") >= 0.4
    assert _timed(sandbox_clean, "/api/clientes/?limit=1") < 0.2


def test_latency_knobs_are_readable_and_reset(sandbox_clean: SandboxProcess) -> None:
    knobs = sandbox_clean.latency("300-600", per_row_ms=2.5)
    assert (knobs["latency_ms"], knobs["per_row_ms"]) == ("300-600", 2.5)
    sandbox_clean.reset()
    knobs = requests.get(f"{sandbox_clean.url}/__latency", timeout=5).json()
    assert (knobs["latency_ms"], knobs["per_row_ms"]) == ("0-0", 0.0)


def test_latency_bad_range_is_400(sandbox_clean: SandboxProcess) -> None:
    response = requests.post(
        f"{sandbox_clean.url}/__latency", json={"latency_ms": "600-300"}, timeout=5
    )
    assert response.status_code == 400


def test_concurrency_200_slow_calls_overlap(sandbox_clean: SandboxProcess) -> None:
    sandbox_clean.latency("100-100")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(
            pool.map(
                lambda i: sandbox_clean.get(f"/api/clientes/{i + 1}/", timeout=15).status_code,
                range(200),
            )
        )
    elapsed = time.monotonic() - started
    assert statuses == [200] * 200
    assert elapsed < 5.0  # one at a time this would take 20 s
    assert sandbox_clean.stats()["total"] == 200
