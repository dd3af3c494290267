"""`python -m wisphub_api.sandbox` as a process: options, determinism, random faults, shutdown."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxProcess
from wisphub_api.sandbox.options import DEMO_API_KEY, KEY_PATTERN, parse_latency, parse_options

pytest_plugins = ["tests.support.sandbox"]

FIRST_KEY = "Abcd1234.abcdefghijklmnopqrstuvwxyz012345"
SECOND_KEY = "Wxyz9876.ZYXWVUTSRQPONMLKJIHGFEDCBA987654"
FAST: dict[str, Any] = {"latency_ms": "0", "per_row_ms": 0}


@pytest.fixture(scope="module")
def custom() -> Iterator[SandboxProcess]:
    """Run a small sandbox: two keys, small pages, http next links, 200 ms + 10 ms a row."""
    process = SandboxProcess(
        "--api-key",
        FIRST_KEY,
        "--api-key",
        SECOND_KEY,
        api_key=SECOND_KEY,
        clients=30,
        plans=3,
        seed=5,
        default_limit=10,
        max_limit=20,
        http_next=True,
        latency_ms="200-200",
        per_row_ms=10,
    )
    with process:
        yield process


def test_cli_demo_key_has_api_key_shape() -> None:
    assert KEY_PATTERN.fullmatch(DEMO_API_KEY)
    assert parse_options([]).api_keys == (DEMO_API_KEY,)


def test_cli_rejects_malformed_key() -> None:
    with pytest.raises(SystemExit):
        parse_options(["--api-key", "short.key"])


@pytest.mark.parametrize(
    ("text", "expected"), [("300-600", (300.0, 600.0)), ("0", (0.0, 0.0)), ("250", (250.0, 250.0))]
)
def test_cli_latency_range_parses(text: str, expected: tuple[float, float]) -> None:
    assert parse_latency(text) == expected


def test_cli_port_zero_announces_real_port(custom: SandboxProcess) -> None:
    assert not custom.url.endswith(":0")
    assert requests.get(f"{custom.url}/__health", timeout=5).json() == {"status": "ok"}


@pytest.mark.parametrize("key", [FIRST_KEY, SECOND_KEY])
def test_cli_every_given_key_is_accepted(custom: SandboxProcess, key: str) -> None:
    response = custom.get("/api/plan-internet/", headers={"Authorization": f"Api-Key {key}"})
    assert response.status_code == 200


def test_cli_demo_key_is_refused_when_keys_are_given(custom: SandboxProcess) -> None:
    response = custom.get(
        "/api/plan-internet/", headers={"Authorization": f"Api-Key {DEMO_API_KEY}"}
    )
    assert response.status_code == 403


def test_cli_sizes_and_page_limits_apply(custom: SandboxProcess) -> None:
    assert custom.get("/api/plan-internet/").json()["count"] == 3
    body = custom.get("/api/clientes/").json()
    assert (body["count"], len(body["results"])) == (30, 10)
    assert len(custom.get("/api/clientes/?limit=100").json()["results"]) == 20


def test_cli_http_next_ignores_forwarded_https(
    custom: SandboxProcess, sandbox: SandboxProcess
) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    assert custom.get("/api/clientes/", headers=forwarded).json()["next"].startswith("http://")
    assert sandbox.get("/api/clientes/", headers=forwarded).json()["next"].startswith("https://")


def _elapsed(process: SandboxProcess, path: str) -> float:
    started = time.monotonic()
    assert process.get(path).status_code == 200
    return time.monotonic() - started


def test_cli_latency_and_per_row_cost_apply(custom: SandboxProcess) -> None:
    assert 0.2 <= _elapsed(custom, "/api/clientes/?limit=1") < 0.35
    assert _elapsed(custom, "/api/clientes/?limit=20") >= 0.4


def _pages(process: SandboxProcess) -> list[bytes]:
    pages = [
        process.get(f"/api/clientes/?limit=300&offset={offset}").content
        for offset in range(0, 1500, 300)
    ]
    pages.append(process.get("/api/plan-internet/").content)
    return [page.replace(process.url.encode(), b"") for page in pages]


def test_dataset_same_seed_is_byte_identical_and_other_seed_differs(
    sandbox_clean: SandboxProcess,
) -> None:
    with SandboxProcess(seed=42, **FAST) as twin, SandboxProcess(seed=43, **FAST) as other:
        expected = _pages(sandbox_clean)
        assert _pages(twin) == expected
        assert _pages(other) != expected


def test_random_faults_follow_error_and_stall_rates() -> None:
    with SandboxProcess(
        clients=20, error_rate=0.5, stall_rate=0.5, stall_seconds=0.3, **FAST
    ) as process:
        timings = []
        for _ in range(16):
            started = time.monotonic()
            status = process.get("/api/clientes/", timeout=5).status_code
            timings.append((status, time.monotonic() - started))
    assert {status for status, _ in timings} == {200, 500}
    assert all(elapsed >= 0.3 for status, elapsed in timings if status == 200)


def test_random_stall_outlasts_short_client_timeout() -> None:
    with SandboxProcess(clients=20, stall_rate=1, stall_seconds=5, **FAST) as process:
        with pytest.raises(requests.ReadTimeout):
            process.get("/api/clientes/", timeout=0.5)
        assert process.stats()["total"] == 1


def test_process_sigterm_stops_cleanly_with_call_in_flight() -> None:
    process = SandboxProcess(clients=20, **FAST).start()
    process.fault("stall")
    caller = threading.Thread(target=_swallow, args=(process,), daemon=True)
    caller.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert process.stop() == 0
    assert time.monotonic() - started < 4


def _swallow(process: SandboxProcess) -> None:
    # The server goes away under the held call, as intended.
    with contextlib.suppress(requests.RequestException):
        process.get("/api/clientes/", timeout=10)
