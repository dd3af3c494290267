"""The C open-loop generator (benchmarks/openloop.c) counts what a server does, as the Python one.

Against a small threaded HTTP/1.1 server on loopback: answers on keep-alive connections, 503s that
close their connection, answers slower than the timeout, and a port nobody listens on. Each run
is bounded by its schedule and timeout.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from benchmarks import openloop
from benchmarks.openloop_stats import CONNECTION_ERROR, TIMEOUT
from tests.support.servers import free_port

BINARY = openloop.native_binary()
pytestmark = pytest.mark.skipif(BINARY is None, reason="no C compiler to build openloop.c")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: ClassVar[set[int]] = set()

    def do_GET(self) -> None:
        type(self).connections.add(id(self.connection))
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        status = 503 if self.path.startswith("/shed") else 200
        body = b'{"ok": true}' * (50 if self.path.startswith("/big") else 1)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 503:
            self.send_header("Retry-After", "1")
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        if status == 503:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.connections = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _run(url: str, schedule, timeout: float = 1.0, connections: int = 64):
    assert BINARY is not None
    return openloop.run_native(
        BINARY, url, {"X-API-Key": "k"}, schedule, connections=connections, timeout=timeout
    )


def test_every_request_on_its_schedule_is_answered_and_connections_are_reused(server: str):
    outcomes = _run(server + "/big", [("load", 200.0, 1.0), ("after", 50.0, 1.0)])
    assert Counter(o.phase for o in outcomes) == {"load": 200, "after": 50}
    assert {o.status for o in outcomes} == {200}
    dues = [o.due for o in outcomes]
    assert dues == sorted(dues)
    assert dues[199] == pytest.approx(0.995, abs=1e-3)  # request i is due at i / rate
    assert dues[200] == pytest.approx(1.0, abs=1e-3)  # the next phase starts after the first
    assert all(o.seconds >= 0 and o.sent_late >= 0 for o in outcomes)
    assert len(_Handler.connections) < 250  # keep-alive: far fewer connections than requests


def test_refusals_that_close_their_connection_are_counted_as_503_not_errors(server: str):
    outcomes = _run(server + "/shed", [("load", 100.0, 1.0)])
    assert Counter(o.status for o in outcomes) == {503: 100}


def test_answers_slower_than_the_timeout_count_as_timeouts(server: str):
    outcomes = _run(server + "/slow", [("load", 20.0, 0.5)], timeout=0.5)
    assert Counter(o.status for o in outcomes) == {TIMEOUT: 10}
    assert all(o.seconds >= 0.5 for o in outcomes)


def test_a_port_nobody_listens_on_gives_connection_errors():
    outcomes = _run(f"http://127.0.0.1:{free_port()}/", [("load", 50.0, 0.4)], timeout=0.5)
    assert len(outcomes) == 20
    assert {o.status for o in outcomes} <= {CONNECTION_ERROR, TIMEOUT}
    assert CONNECTION_ERROR in {o.status for o in outcomes}


def test_generate_falls_back_to_the_python_generator_when_asked(server: str):
    outcomes = openloop.generate(server + "/", {}, [("load", 40.0, 0.5)], native=False, timeout=1)
    assert Counter(o.status for o in outcomes) == {200: 20}
