"""The whole chain: real headless Locust runs against a stdlib stand-in for the API.

Locust runs in subprocesses (it monkey-patches the interpreter). One server answers the four
routes correctly, the other with a wrong shape; both runs go in parallel to keep this short.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from loadtests import check_results
from tests.test_loadtests_check_results import LOCUST_STATS_HEADER

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
KEY = "run-test-key"
CLIENT = {"service_id": 7, "name": "Esperanza Benitez", "address": "VDA BELLAVISTA"}
ROUTES = {
    "/api/v1/clients/": [CLIENT],
    "/api/v1/clients/search": [CLIENT],
    "/api/v1/internet-plans/": [{"plan_id": 1, "name": "Hogar 10", "type": "PPPoE"}],
}
VERIFIED = {"is_valid": True, "matched_fields": ["address", "internet_plan_price"], "message": "ok"}
EXPECTED_NAMES = {
    "/api/v1/clients/",
    "/api/v1/clients/search?q=Esperanza",
    "/api/v1/clients/7/verify",
    "/api/v1/internet-plans/",
}
WRONG_SHAPE_ERRORS = {
    "client list is not a JSON list",
    "search answer is not a JSON list",
    "verification answer lacks matched_fields or message",
    "plan list is not a JSON list",
}


@dataclass
class FakeApi:
    """What a stand-in server saw, and whether it answers the contract's shapes."""

    wrong_shape: bool
    keys: list[str | None] = field(default_factory=list)
    posted: list[Any] = field(default_factory=list)


def handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, delayed ACKs add ~40 ms each.
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def answer(self, status: int, body: Any) -> None:
            data = json.dumps({"unexpected": True} if api.wrong_shape else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            api.keys.append(self.headers.get("X-API-Key"))
            path = self.path.split("?", 1)[0]
            status, body = (200, ROUTES[path]) if path in ROUTES else (404, {})
            self.answer(status, body)

        def do_POST(self) -> None:
            api.keys.append(self.headers.get("X-API-Key"))
            api.posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            found = self.path == "/api/v1/clients/7/verify"
            status, body = (200, VERIFIED) if found else (404, {})
            self.answer(status, body)

    return Handler


class QuietServer(ThreadingHTTPServer):
    # Room for every simulated user's connection at once; the default 5 adds 1 s SYN retries.
    request_queue_size = 64
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when Locust drops its keep-alive connections at the end of a run."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Run:
    api: FakeApi
    prefix: Path
    returncode: int
    stdout: str
    stderr: str

    def stats(self) -> list[dict[str, str]]:
        with Path(f"{self.prefix}_stats.csv").open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def failures(self) -> list[dict[str, str]]:
        with Path(f"{self.prefix}_failures.csv").open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))


def locust_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOADTEST_", "LOCUST_"))}
    # Generous latency limits: the gate's timing path runs, but a busy CI box cannot flake it.
    return env | {"WISPHUB_API_KEY": KEY, "LOADTEST_MAX_AVG_MS": "500",
                  "LOADTEST_MAX_CACHED_P95_MS": "500"}  # fmt: skip


def start_locust(port: int, prefix: Path) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "locust", "-f", "loadtests/locustfiles/original.py", "--headless",
        "-u", "5", "-r", "5", "-t", "3s", "--host", f"http://127.0.0.1:{port}",
        "--csv", str(prefix), "--only-summary",
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env=locust_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Run Locust against a correct and a wrong-shape server at the same time."""
    base = tmp_path_factory.mktemp("locust")
    apis = {"good": FakeApi(wrong_shape=False), "wrong": FakeApi(wrong_shape=True)}
    servers = {name: QuietServer(("127.0.0.1", 0), handler_for(api)) for name, api in apis.items()}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    procs = {n: start_locust(s.server_address[1], base / n) for n, s in servers.items()}
    try:
        outputs = {name: proc.communicate(timeout=60) for name, proc in procs.items()}
        yield {
            name: Run(apis[name], base / name, procs[name].returncode, *outputs[name])
            for name in apis
        }
    finally:
        stop(procs.values(), servers.values())


def stop(procs: Iterable[subprocess.Popen[str]], servers: Iterable[QuietServer]) -> None:
    """Kill any Locust still running (after a timeout) and close the servers."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    for server in servers:
        server.shutdown()
        server.server_close()


def test_run_correct_api_exits_zero_without_failures(runs: dict[str, Run]) -> None:
    run = runs["good"]
    assert run.returncode == 0, run.stdout + run.stderr
    rows = run.stats()
    assert {row["Name"] for row in rows} <= EXPECTED_NAMES | {"Aggregated"}
    assert all(row["Failure Count"] == "0" for row in rows)
    assert int(rows[-1]["Request Count"]) >= 5
    assert "RESULT: PASS" in run.stdout


def test_run_sends_key_and_exact_verify_payload(runs: dict[str, Run]) -> None:
    api = runs["good"].api
    assert api.keys and set(api.keys) == {KEY}
    expected = {"address": "BELLAVISTA", "internet_plan_price": 40000.0}
    assert all(body == expected for body in api.posted)


def test_run_csv_has_locust_header_and_final_numbers(runs: dict[str, Run]) -> None:
    run = runs["good"]
    with Path(f"{run.prefix}_stats.csv").open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == LOCUST_STATS_HEADER
    gate_total = next(line for line in run.stdout.splitlines() if "Aggregated" in line).split()
    assert gate_total[1] == run.stats()[-1]["Request Count"]


def test_check_results_real_csv_passes(
    runs: dict[str, Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOADTEST_MAX_AVG_MS", "500")
    monkeypatch.setenv("LOADTEST_MAX_CACHED_P95_MS", "500")
    monkeypatch.delenv("LOADTEST_MAX_FAILURES", raising=False)
    assert check_results.main([f"{runs['good'].prefix}_stats.csv"]) == 0


def test_run_wrong_shape_exits_one_and_records_failures(runs: dict[str, Run]) -> None:
    run = runs["wrong"]
    assert run.returncode == 1, run.stdout + run.stderr
    total = run.stats()[-1]
    assert int(total["Failure Count"]) == int(total["Request Count"]) > 0
    # Locust records a caught failure as CatchResponseError('<our message>').
    errors = {row["Error"].split("'")[1] for row in run.failures()}
    assert errors and errors <= WRONG_SHAPE_ERRORS
    assert "RESULT: FAIL" in run.stdout and "failed request(s)" in run.stdout


def test_check_results_wrong_shape_csv_fails(runs: dict[str, Run]) -> None:
    assert check_results.main([f"{runs['wrong'].prefix}_stats.csv"]) == 1
