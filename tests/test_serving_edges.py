"""What gunicorn itself refuses, through the real worker: small JSON answers, one quiet log line.

Also the worker's 503 under overload (in-flight limit) and the one log line per request.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.sandbox import SandboxProcess
from tests.support.servers import GunicornServer, call

pytestmark = pytest.mark.slow

KEY = "edges-test-key"
AUTH = {"X-API-Key": KEY}
PHONE = "321 055 8179"
TIMEOUT_S = 10.0


@dataclass
class Raw:
    """An answer read off the socket: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def raw_request(port: int, data: bytes) -> Raw:
    """Send raw bytes, read one answer (Content-Length framed or up to the close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])
        }
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return Raw(int(lines[0].split()[1]), headers, body)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[GunicornServer]:
    """One gunicorn worker before a fast sandbox, warm."""
    logs = tmp_path_factory.mktemp("edges")
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        env = {
            "WEB_CONCURRENCY": "1",
            "WISPHUB_NET_HOST": sandbox.url,
            "WISPHUB_NET_KEY": sandbox.api_key,
            "WISPHUB_INTERNAL_API_KEY": KEY,
            "APP_ENV": "development",
        }
        gunicorn = GunicornServer(logs, env)
        try:
            yield gunicorn.start()
        finally:
            gunicorn.stop()


def leaked(logs: str) -> list[str]:
    """Return the pieces of the mistyped path found in the logs (request ids are random hex, so
    the phone's digit groups alone would match by chance)."""
    return [
        piece for piece in ("by-telefono", "055 8179", "055%208179", "3210558179") if piece in logs
    ]


def request_lines(server: GunicornServer) -> list[dict]:
    """Return the request lines logged so far."""
    return [e for e in server.log_entries() if e.get("logger") == "wisphub_api.request"]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(101))
            + b"\r\n",
            431,
            "headers_too_large",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
            431,
            "headers_too_large",
        ),
        (b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "bad_request"),
    ],
    ids=["request-line-too-long", "too-many-headers", "header-too-large", "control-byte", "junk"],
)
def test_edges_gunicorn_refusals_are_small_json(server, data, status, code):
    answer = raw_request(server.port, data)
    assert answer.status == status
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"detail", "code"} and answer.json()["code"] == code
    assert len(answer.body) < 200
    assert answer.headers["x-request-id"]


def test_edges_refusal_is_logged_once_without_the_raw_line(server):
    before = len(request_lines(server))
    raw = f"GET /api/v1/clients/by-telefono/{PHONE} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    answer = raw_request(server.port, raw)
    assert answer.status == 400
    (line,) = request_lines(server)[before:]
    assert (line["route"], line["status"]) == ("<unmatched>", 400)
    assert not leaked(server.logs())


def test_edges_mistyped_route_is_logged_as_a_template(server):
    answer = call(
        server.port,
        "GET",
        "/api/v1/clients/by-telefono/321%20055%208179",
        headers={**AUTH, "X-Request-ID": "mistyped-1"},
    )
    assert answer.status == 404
    assert answer.json()["code"]
    lines = [e for e in request_lines(server) if e["request_id"] == "mistyped-1"]
    assert [(e["route"], e["status"]) for e in lines] == [("<unmatched>", 404)]
    assert not leaked(server.logs())


def test_edges_each_request_is_logged_once(server):
    for index in range(3):
        headers = {**AUTH, "X-Request-ID": f"once-{index}"}
        assert call(server.port, "GET", "/api/v1/internet-plans/", headers=headers).status == 200
    entries = server.log_entries()
    ids = [e.get("request_id") for e in entries if str(e.get("request_id", "")).startswith("once")]
    assert sorted(ids) == ["once-0", "once-1", "once-2"]
    assert not [e for e in entries if e.get("logger") == "gunicorn.access"]


def test_edges_a_crashing_app_answers_json_500(tmp_path):
    crash = GunicornServer(
        tmp_path, {"WEB_CONCURRENCY": "1"}, app="tests.support.crash_app:create_app()"
    )
    crash.start(wait=False)
    try:
        crash.wait_ready(30, ready=lambda answer: answer.status == 500)
        answer = call(crash.port, "GET", "/anything")
    finally:
        crash.stop()
    assert answer.status == 500
    assert answer.json()["code"] == "internal_error"


SPANISH = {"Accept-Language": "es-CO"}


@pytest.fixture
def busy_server(tmp_path) -> Iterator[tuple[GunicornServer, SandboxProcess]]:
    """One worker that takes one request at a time, before a cold, slow sandbox."""
    with SandboxProcess(latency_ms="1500", per_row_ms=0) as sandbox:
        env = {
            "WEB_CONCURRENCY": "1",
            "WISPHUB_NET_HOST": sandbox.url,
            "WISPHUB_NET_KEY": sandbox.api_key,
            "WISPHUB_INTERNAL_API_KEY": KEY,
            "APP_ENV": "development",
            "WARMUP_ON_START": "false",
            "OVERLOAD_MAX_IN_FLIGHT": "1",
        }
        gunicorn = GunicornServer(tmp_path, env, ready_path="/health")
        try:
            yield gunicorn.start(), sandbox
        finally:
            gunicorn.stop()


def test_edges_overload_answers_503_at_once_with_retry_after(busy_server):
    server, sandbox = busy_server
    slow: list[int] = []

    def cold_list() -> None:
        slow.append(call(server.port, "GET", "/api/v1/clients/", headers=AUTH).status)

    first = threading.Thread(target=cold_list)
    first.start()
    try:
        # The cold list is inside the app (its single slot) once it has called WispHub.
        deadline = time.monotonic() + TIMEOUT_S
        while sandbox.stats()["total"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = call(server.port, "GET", "/api/v1/nowhere", headers={**AUTH, **SPANISH})
        health = call(server.port, "GET", "/health")
    finally:
        first.join(TIMEOUT_S)
    assert refused.status == 503
    assert refused.json()["code"] == "overloaded"
    assert refused.json()["detail"].startswith("El servicio está ocupado")  # Accept-Language
    assert refused.headers["Content-Language"] == "es"
    assert int(refused.headers["Retry-After"]) >= 1
    assert health.status == 200  # never refused
    assert slow == [200]
