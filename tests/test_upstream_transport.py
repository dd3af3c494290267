"""The session's transport: base URL, retry policy, and retries against a real local server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError

from wisphub_api.upstream import UpstreamTimeout, UpstreamUnavailable, WispHubClient
from wisphub_api.upstream.transport import RETRY_AFTER_MAX, api_root, build_retry

KEY = "Ab12Cd34.0123456789abcdefghijklmnopqrstuv"
PAGE = {"count": 1, "next": None, "previous": None, "results": [{"id_servicio": 1, "nombre": "A"}]}


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://api.wisphub.net", "https://api.wisphub.net/api"),
        ("https://api.wisphub.net/api/", "https://api.wisphub.net/api"),
        ("api.wisphub.io", "https://api.wisphub.io/api"),
        ("http://127.0.0.1:8001/", "http://127.0.0.1:8001/api"),
        ("https://proxy.example/wisphub/api", "https://proxy.example/wisphub/api"),
    ],
)
def test_api_root_any_spelling_gives_one_api_root(base_url, expected):
    assert api_root(base_url) == expected


def test_retry_connect_error_on_get_is_retried():
    error = NewConnectionError(None, "refused")
    assert build_retry(2, 0).increment("GET", "/api/clientes/", error=error).connect == 1


def test_retry_connect_error_on_put_is_not_retried():
    error = NewConnectionError(None, "refused")
    with pytest.raises(MaxRetryError):
        build_retry(2, 0).increment("PUT", "/api/clientes/1/perfil/", error=error)


def test_retry_read_error_on_post_is_reraised():
    error = ReadTimeoutError(None, "/api/clientes/1/ping/", "timed out")
    with pytest.raises(ReadTimeoutError):
        build_retry(2, 0).increment("POST", "/api/clientes/1/ping/", error=error)


def test_retry_after_header_is_capped():
    assert build_retry(2, 0.3).parse_retry_after("3600") == RETRY_AFTER_MAX


def test_retry_zero_backoff_never_sleeps():
    retry = build_retry(2, 0)
    for _ in range(2):
        retry = retry.increment("GET", "/api/clientes/", error=NewConnectionError(None, "x"))
    assert retry.get_backoff_time() == 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    lock = threading.Lock()
    hits: dict[str, int]
    script: list[tuple[int, float]]  # (status, delay) per call, last one repeats

    def handle_error(self, request, client_address):
        """Stay quiet: the client hanging up on a slow answer is the point of these tests."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        with self.server.lock:
            self.server.hits[self.command] = self.server.hits.get(self.command, 0) + 1
            index = self.server.hits[self.command] - 1
        status, delay = self.server.script[min(index, len(self.server.script) - 1)]
        time.sleep(delay)
        body = json.dumps(PAGE).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = _answer

    def log_message(self, format, *args):
        """Keep test output clean."""


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.hits, httpd.script = {}, [(200, 0.0)]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _client(server: _Server, retries: int = 2) -> WispHubClient:
    host, port = server.server_address[:2]
    return WispHubClient(f"http://{host}:{port}", KEY, read_timeout=0.2, retries=retries, backoff=0)


@pytest.mark.slow
def test_real_get_read_timeout_retried_then_raises_timeout(server):
    server.script = [(200, 0.6)]
    with _client(server) as client, pytest.raises(UpstreamTimeout):
        client.get_client(1)
    assert server.hits == {"GET": 3}


@pytest.mark.slow
def test_real_put_read_timeout_sent_once(server):
    server.script = [(200, 0.6)]
    with _client(server) as client, pytest.raises(UpstreamTimeout):
        client.update_profile(1, {"city": "POPAYAN"})
    assert server.hits == {"PUT": 1}


@pytest.mark.slow
def test_real_get_two_503_then_200_succeeds(server):
    server.script = [(503, 0.0), (503, 0.0), (200, 0.0)]
    with _client(server) as client:
        assert client.get_client(1).name == "A"
    assert server.hits == {"GET": 3}


@pytest.mark.slow
def test_real_put_503_sent_once(server):
    server.script = [(503, 0.0)]
    with _client(server) as client, pytest.raises(UpstreamUnavailable):
        client.update_profile(1, {"city": "POPAYAN"})
    assert server.hits == {"PUT": 1}
