"""Refusing from a request's raw bytes while the worker sheds (``serving.rawhead``).

The quick path must take exactly one request's bytes or none: wherever it answers, gunicorn's own
parser would have read the same single request from the same bytes, and the connection's next
request must still be read right after it.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator

import pytest
from gunicorn import http
from gunicorn.config import Config

from wisphub_api.serving.admission import Admission, LoopLag
from wisphub_api.serving.connections import ConnectionTable
from wisphub_api.serving.rawhead import quick_head
from wisphub_api.serving.settings import ServingSettings
from wisphub_api.serving.telemetry import WorkerTelemetry
from wisphub_api.serving.worker import _REFUSED, WispHubWorker

ID = b"x-request-id"
PLAIN = (
    b"GET /api/v1/internet-plans/?x=1 HTTP/1.1\r\nHost: a\r\nX-API-Key: k\r\n"
    b"X-Request-ID: bot-42\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n"
)
VERIFY_BODY = b'{"address": "BELLAVISTA", "internet_plan_price": 40000.0}'
VERIFY = (
    b"POST /api/v1/clients/7/verify HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(VERIFY_BODY)).encode() + b"\r\n\r\n" + VERIFY_BODY
)


def test_quick_head_reads_what_a_refusal_needs():
    head = quick_head(PLAIN, ID)
    assert head is not None
    assert (head.method, head.path, head.keep_alive) == ("GET", "/api/v1/internet-plans/", True)
    assert head.request_id == "bot-42"
    assert head.accept_language == "en-US,en;q=0.9"


def test_quick_head_takes_a_body_received_whole():
    head = quick_head(VERIFY, ID)
    assert head is not None
    assert (head.method, head.path) == ("POST", "/api/v1/clients/7/verify")


@pytest.mark.parametrize(
    ("connection", "keep_alive"),
    [(b"close", False), (b"Keep-Alive", True), (b"keep-alive, Close", False)],
)
def test_quick_head_honours_connection(connection, keep_alive):
    data = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: " + connection + b"\r\n\r\n"
    head = quick_head(data, ID)
    assert head is not None and head.keep_alive is keep_alive


def test_quick_head_matches_header_names_at_line_starts_only():
    data = b"GET / HTTP/1.1\r\nX-Note: connection: close\r\nX-Other: x-request-id: evil\r\n\r\n"
    head = quick_head(data, ID)
    assert head is not None
    assert head.keep_alive is True and head.request_id is None and head.accept_language == ""


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PLAIN[:-2], id="head-not-complete"),
        pytest.param(PLAIN + PLAIN, id="pipelined"),
        pytest.param(VERIFY[:-3], id="body-not-complete"),
        pytest.param(VERIFY + b"GET / HTTP/1.1\r\n\r\n", id="body-then-more"),
        pytest.param(b"GET / HTTP/1.0\r\nHost: a\r\n\r\n", id="http-1.0"),
        pytest.param(b"get / HTTP/1.1\r\n\r\n", id="lower-case-method"),
        pytest.param(b"GET http://a/ HTTP/1.1\r\n\r\n", id="absolute-form"),
        pytest.param(b"GET /a b HTTP/1.1\r\n\r\n", id="space-in-target"),
        pytest.param(
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", id="chunked"
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", id="two-lengths"
        ),
        pytest.param(b"POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\nab", id="signed-length"),
        pytest.param(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", id="space-before-colon"),
        pytest.param(b"GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", id="folded-line"),
        pytest.param(b"GET / HTTP/1.1\r\nX-A: \x01\r\n\r\n", id="control-character"),
        pytest.param(b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", id="expect"),
        pytest.param(b"GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", id="upgrade"),
    ],
)
def test_quick_head_leaves_anything_else_to_gunicorn(data):
    assert quick_head(data, ID) is None


@pytest.mark.parametrize(
    "data",
    [
        PLAIN,
        VERIFY,
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"DELETE /a/b?c=d&e HTTP/1.1\r\nHost: a\r\nX-Request-ID: \t r-1 \r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    ],
)
def test_quick_head_reads_one_request_exactly_as_gunicorn_does(data):
    head = quick_head(data, ID)
    assert head is not None
    parser = http.get_parser(Config(), iter([data]), ("127.0.0.1", 1))
    req = next(parser)
    body = req.body.read()
    read = (req.method, req.path, not req.should_close())
    assert read == (head.method, head.path, head.keep_alive)
    assert dict(req.headers).get("X-REQUEST-ID") == head.request_id
    assert data.endswith(body) and len(body) == int(dict(req.headers).get("CONTENT-LENGTH", 0))
    with pytest.raises((StopIteration, http.errors.NoMoreData)):
        next(parser)  # nothing after it: the quick path took all of the bytes, and only them


# -- the worker's quick path, over a socket pair ----------------------------------------------


def _late_lag() -> LoopLag:
    """A loop lag that stands at 1 s: the worker sheds."""
    lag = LoopLag(0.01, clock=lambda: 100.0)
    lag.last = lag.previous = 1.0
    return lag


def _worker(draw: float) -> WispHubWorker:
    """A worker with just what its request reading needs; refusals drawn with ``draw``."""
    worker = WispHubWorker.__new__(WispHubWorker)
    settings = ServingSettings(shed_lag_ms=250)
    worker.serving = settings
    worker.telemetry = WorkerTelemetry()
    worker.connections = ConnectionTable(16, 1)
    worker.admission = Admission(settings, _late_lag(), lambda: draw)
    worker.admission.shedding.update(1.0)  # the last decision shed
    return worker


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    client, server = socket.socketpair()
    client.settimeout(5)
    server.settimeout(5)
    yield client, server
    client.close()
    server.close()


def _answer(client: socket.socket) -> tuple[bytes, dict[str, str], dict]:
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += client.recv(65536)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers["content-length"]):
        body += client.recv(65536)
    return lines[0].encode(), headers, json.loads(body)


def test_worker_refuses_a_plain_request_from_its_bytes_and_reads_the_next(pair):
    client, server = pair
    worker = _worker(draw=0.0)
    parser = http.get_parser(Config(), server, ("127.0.0.1", 1))
    worker.connections.idle(server)
    client.sendall(PLAIN)
    assert worker._next_request(parser, server, ("127.0.0.1", 1)) == (_REFUSED, True)
    assert worker.connections.idle_count == 0  # busy from the moment its bytes came
    status, headers, body = _answer(client)
    assert status == b"HTTP/1.1 503 Service Unavailable"
    assert headers["retry-after"] == "1" and headers["x-request-id"] == "bot-42"
    assert headers["connection"] == "keep-alive" and headers["content-language"] == "en"
    assert body["code"] == "overloaded"
    # The connection stays in step: the next request (the verify, with its body) parses whole.
    worker.admission = Admission(ServingSettings(shed_lag_ms=250), LoopLag(0.01), lambda: 0.0)
    client.sendall(VERIFY)
    req, admitted = worker._next_request(parser, server, ("127.0.0.1", 1))
    assert (req.method, req.path, admitted) == ("POST", "/api/v1/clients/7/verify", False)
    assert req.body.read() == VERIFY_BODY


def test_worker_refuses_a_request_with_its_body_and_stays_in_step(pair):
    client, server = pair
    worker = _worker(draw=0.0)
    parser = http.get_parser(Config(), server, ("127.0.0.1", 1))
    client.sendall(VERIFY)
    assert worker._next_request(parser, server, ("127.0.0.1", 1)) == (_REFUSED, True)
    assert _answer(client)[0] == b"HTTP/1.1 503 Service Unavailable"
    client.sendall(PLAIN)
    assert worker._next_request(parser, server, ("127.0.0.1", 1)) == (_REFUSED, True)
    assert _answer(client)[1]["x-request-id"] == "bot-42"


def test_worker_closes_after_refusing_a_request_that_asked_to_close(pair):
    client, server = pair
    worker = _worker(draw=0.0)
    parser = http.get_parser(Config(), server, ("127.0.0.1", 1))
    client.sendall(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    with pytest.raises(StopIteration):
        worker._next_request(parser, server, ("127.0.0.1", 1))
    assert _answer(client)[1]["connection"] == "close"


def test_worker_hands_an_admitted_request_to_gunicorn_decided_once(pair):
    client, server = pair
    worker = _worker(draw=0.999)  # the share stays under it: taken
    decisions = []
    refusal = worker.admission.refusal
    worker.admission.refusal = lambda path: decisions.append(path) or refusal(path)  # type: ignore[method-assign]
    parser = http.get_parser(Config(), server, ("127.0.0.1", 1))
    client.sendall(VERIFY)
    req, admitted = worker._next_request(parser, server, ("127.0.0.1", 1))
    assert (req.method, req.path, admitted) == ("POST", "/api/v1/clients/7/verify", True)
    assert req.body.read() == VERIFY_BODY
    assert decisions == ["/api/v1/clients/7/verify"]  # handle_request will not decide again


def test_worker_leaves_a_request_it_cannot_read_quickly_to_gunicorn(pair):
    client, server = pair
    worker = _worker(draw=0.0)
    parser = http.get_parser(Config(), server, ("127.0.0.1", 1))
    chunked = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    client.sendall(chunked)
    req, admitted = worker._next_request(parser, server, ("127.0.0.1", 1))
    assert (req.path, admitted) == ("/x", False)  # handle_request decides, as before
    assert req.body.read() == b"abc"


def test_worker_reads_buffered_bytes_through_gunicorn_first(pair):
    _, server = pair
    worker = _worker(draw=0.0)
    parser = http.get_parser(Config(), server, ("127.0.0.1", 1))
    parser.unreader.buf = io.BytesIO()
    parser.unreader.unread(b"GET /buffered HTTP/1.1\r\n\r\n")
    req, admitted = worker._next_request(parser, server, ("127.0.0.1", 1))
    assert (req.path, admitted) == ("/buffered", False)


def test_worker_refuses_a_head_request_without_a_body_and_stays_in_step(pair):
    client, server = pair
    worker = _worker(draw=0.0)
    parser = http.get_parser(Config(), server, ("127.0.0.1", 1))
    client.sendall(b"HEAD /api/v1/internet-plans/ HTTP/1.1\r\nHost: a\r\n\r\n")
    assert worker._next_request(parser, server, ("127.0.0.1", 1)) == (_REFUSED, True)
    client.sendall(PLAIN)
    assert worker._next_request(parser, server, ("127.0.0.1", 1)) == (_REFUSED, True)
    raw = b""
    while raw.count(b"\r\n\r\n") < 2 or not raw.endswith(b"}"):
        raw += client.recv(65536)
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 ") and b"Content-Length: " in head
    assert rest.startswith(b"HTTP/1.1 503 ")  # no body after the HEAD's answer: the next is whole
