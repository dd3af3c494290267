"""`make serve` with no WispHub host: the sandbox and the API come up; Ctrl-C stops both."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
DEMO_KEY = "demo-bot-key-change-me"  # the one written in .env.example
READY_TIMEOUT_SECONDS = 60
# One readiness probe: a worker warming up may be slow to answer; the loop simply asks again.
PROBE_TIMEOUT_SECONDS = 2
CALL_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 30


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_serve(log_path: Path, **env: str) -> subprocess.Popen:
    """Run scripts/serve.sh (what `make serve` runs) in its own process group."""
    if (ROOT / ".env").exists():
        pytest.skip("a local .env would configure the run; this test needs a fresh checkout")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WISPHUB_", "APP_ENV"))}
    with log_path.open("w") as log:
        return subprocess.Popen(
            ["./scripts/serve.sh"],
            cwd=ROOT,
            env={**base, "WEB_CONCURRENCY": "1", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_ready(process: subprocess.Popen, base: str, log: Path) -> None:
    """Wait until /health/ready answers 200; fail at once if serve.sh died, or after a deadline."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        assert process.poll() is None, f"serve.sh exited early:\n{log.read_text()[-2000:]}"
        try:
            if requests.get(base + "/health/ready", timeout=PROBE_TIMEOUT_SECONDS).ok:
                return
        except requests.RequestException:  # refused before the bind, or slow during warm-up
            pass
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.25)


@pytest.fixture
def served(tmp_path):
    """Run serve.sh with no WispHub host configured; stop whatever is left afterwards."""
    api_port, sandbox_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    process = start_serve(log, PORT=str(api_port), SANDBOX_PORT=str(sandbox_port))
    yield process, api_port, sandbox_port, log
    stop(process)


def test_serve_without_host_starts_sandbox_and_api_and_ctrl_c_stops_both(served):
    process, api_port, sandbox_port, log = served
    base = f"http://127.0.0.1:{api_port}"
    wait_ready(process, base, log)
    headers = {"X-API-Key": DEMO_KEY}
    listing = requests.get(base + "/api/v1/clients/", headers=headers, timeout=CALL_TIMEOUT_SECONDS)
    assert listing.status_code == 200
    verify = requests.post(
        base + "/api/v1/clients/7/verify",
        headers=headers,
        timeout=CALL_TIMEOUT_SECONDS,
        json={"address": "BELLAVISTA", "internet_plan_price": 40000.0},
    )
    assert verify.json()["is_valid"] is True
    text = log.read_text()
    assert DEMO_KEY in text  # the demo key is printed for the newcomer
    assert "APP_ENV=development (sandbox)" in text
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    process.wait(timeout=STOP_TIMEOUT_SECONDS)
    deadline = time.monotonic() + 10
    while port_open(api_port) or port_open(sandbox_port):
        assert time.monotonic() < deadline, "a server outlived Ctrl-C"
        time.sleep(0.1)


def test_serve_with_a_host_keeps_production_so_the_demo_key_is_refused(tmp_path):
    log = tmp_path / "serve.log"
    # A host is set, so no sandbox starts and the API runs as .env.example ships it.
    process = start_serve(
        log,
        PORT=str(free_port()),
        WISPHUB_NET_HOST="http://127.0.0.1:9",
        WISPHUB_NET_KEY="Test1234.abcdefghijklmnopqrstuvwxyz012345",
    )
    try:
        status = process.wait(timeout=READY_TIMEOUT_SECONDS)
    finally:
        stop(process)
    assert status != 0
    assert "demo key" in log.read_text()


def test_env_example_ships_production_and_documents_the_sandbox_port():
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^APP_ENV=production$", example, re.MULTILINE)
    assert re.search(r"^# .*\nSANDBOX_PORT=8001$", example, re.MULTILINE)
