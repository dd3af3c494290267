"""Every error a client can provoke through the bundled nginx is the API's JSON error shape.

The real stack (sandbox, gunicorn, nginx from deploy/nginx.conf.template): nginx's own refusals
(400, 413, 414, 431, 502, 504) come from its error pages; the app's (400, 404, 405, 503) pass
through; a crashing app's 500 comes from the gunicorn worker.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import SandboxProcess
from tests.support.servers import GunicornServer, NginxServer, call, free_port, nginx_or_skip

pytestmark = pytest.mark.slow

KEY = "nginx-edges-key"
AUTH = {"X-API-Key": KEY}
JSON_BODY = {**AUTH, "Content-Type": "application/json"}


def assert_error_shape(status: int, headers, body: bytes, expected: int) -> dict:
    """Check one answer is our JSON error with the expected status; return its body."""
    assert status == expected
    assert headers.get("Content-Type", "").startswith("application/json")
    payload = json.loads(body)
    assert set(payload) >= {"detail", "code"}
    assert isinstance(payload["detail"], str) and isinstance(payload["code"], str)
    return payload


def raw(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes to nginx and read its answer (it closes after an error)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip(): value.strip() for name, _, value in (x.partition(":") for x in lines[1:])
    }
    return int(lines[0].split()[1]), headers, body


def _env(sandbox: SandboxProcess, **extra: str) -> dict[str, str]:
    return {
        "WEB_CONCURRENCY": "1",
        "WISPHUB_NET_HOST": sandbox.url,
        "WISPHUB_NET_KEY": sandbox.api_key,
        "WISPHUB_INTERNAL_API_KEY": KEY,
        "APP_ENV": "development",
        "TRUSTED_PROXY_COUNT": "1",
        **extra,
    }


@pytest.fixture(scope="module")
def edge(tmp_path_factory) -> Iterator[tuple[NginxServer, SandboxProcess, Path]]:
    """nginx (1 s read timeout) in front of a warm gunicorn and a fast sandbox."""
    binary = nginx_or_skip()
    logs = tmp_path_factory.mktemp("nginx-edges")
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        gunicorn = GunicornServer(logs, _env(sandbox))
        nginx = NginxServer(logs / "nginx", f"127.0.0.1:{gunicorn.port}")
        try:
            gunicorn.start()
            nginx.start(binary)
            yield nginx, sandbox, logs
        finally:
            nginx.stop()
            gunicorn.stop()


def test_nginx_edges_malformed_json_is_the_apps_400(edge):
    nginx, _, _ = edge
    answer = call(
        nginx.port, "POST", "/api/v1/clients/7/verify", headers=JSON_BODY, body=b'{"address": '
    )
    assert_error_shape(answer.status, answer.headers, answer.body, 400)


def test_nginx_edges_invalid_http_is_nginxs_json_400(edge):
    nginx, _, _ = edge
    status, headers, body = raw(nginx.port, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    assert assert_error_shape(status, headers, body, 400)["code"] == "bad_request"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nowhere", 404), ("DELETE", "/api/v1/internet-plans/", 405)],
)
def test_nginx_edges_routing_errors_are_the_apps_json(edge, method, path, status):
    nginx, _, _ = edge
    answer = call(nginx.port, method, path, headers=AUTH)
    assert_error_shape(answer.status, answer.headers, answer.body, status)


def test_nginx_edges_a_body_over_64_kb_is_json_413(edge):
    nginx, _, _ = edge
    body = b'{"address": "' + b"x" * 70_000 + b'"}'
    answer = call(nginx.port, "POST", "/api/v1/clients/7/verify", headers=JSON_BODY, body=body)
    assert_error_shape(answer.status, answer.headers, answer.body, 413)


def test_nginx_edges_a_long_request_line_is_json_414(edge):
    nginx, _, _ = edge
    status, headers, body = raw(
        nginx.port,
        b"GET /api/v1/clients/search?q=" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    assert assert_error_shape(status, headers, body, 414)["code"] == "uri_too_long"


def test_nginx_edges_a_large_header_is_json_431(edge):
    nginx, _, _ = edge
    status, headers, body = raw(
        nginx.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 10_000 + b"\r\n\r\n"
    )
    assert assert_error_shape(status, headers, body, 431)["code"] == "headers_too_large"


def test_nginx_edges_a_crashing_app_is_json_500(edge, tmp_path):
    binary = nginx_or_skip()
    crash = GunicornServer(
        tmp_path, {"WEB_CONCURRENCY": "1"}, app="tests.support.crash_app:create_app()"
    )
    nginx = NginxServer(tmp_path / "nginx", f"127.0.0.1:{crash.port}")
    try:
        crash.start(wait=False)
        crash.wait_ready(30, ready=lambda answer: answer.status == 500)
        nginx.start(binary)
        answer = call(nginx.port, "GET", "/api/v1/clients/", headers=AUTH)
    finally:
        nginx.stop()
        crash.stop()
    assert assert_error_shape(answer.status, answer.headers, answer.body, 500)


def test_nginx_edges_unreachable_api_is_json_502(tmp_path):
    dead = NginxServer(tmp_path / "dead", f"127.0.0.1:{free_port()}")
    try:
        dead.start(nginx_or_skip())
        answer = call(dead.port, "GET", "/api/v1/clients/", headers=AUTH)
    finally:
        dead.stop()
    assert assert_error_shape(answer.status, answer.headers, answer.body, 502)


def test_nginx_edges_failing_upstream_is_json_503_and_a_stalled_api_json_504(edge, tmp_path):
    _, sandbox, _ = edge
    binary = nginx_or_skip()
    # A state directory of its own: truly cold, not warm from the module's server's snapshot.
    cold_env = _env(sandbox, WARMUP_ON_START="false", STATE_DIR=str(tmp_path / "cold-state"))
    cold = GunicornServer(tmp_path, cold_env, ready_path="/health")
    nginx = NginxServer(
        tmp_path / "nginx", f"127.0.0.1:{cold.port}", options={"--read-timeout": "1s"}
    )
    try:
        cold.start()
        nginx.start(binary)
        sandbox.fault("error")  # a cold list while WispHub fails: the app's 503
        failing = call(nginx.port, "GET", "/api/v1/clients/", headers=AUTH)
        sandbox.fault("stall")  # the cold list waits on WispHub longer than nginx waits for it
        stalled = call(nginx.port, "GET", "/api/v1/clients/", headers=AUTH)
    finally:
        sandbox.fault("ok")
        nginx.stop()
        cold.stop()
    assert_error_shape(failing.status, failing.headers, failing.body, 503)
    assert assert_error_shape(stalled.status, stalled.headers, stalled.body, 504)["code"]
