"""The serving package's parts alone: admission, the connection table, the JSON refusals."""

from __future__ import annotations

import json
import socket

import pytest
from gunicorn.http import errors as parse_errors

from wisphub_api.serving import answers
from wisphub_api.serving.admission import Admission, LoopLag, Shedding
from wisphub_api.serving.connections import ConnectionTable
from wisphub_api.serving.settings import ServingSettings


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _admission(draw=lambda: 0.0, **settings) -> tuple[Admission, LoopLag, Clock]:
    """An admission on a hand-moved clock; its default draw refuses whenever the share is > 0."""
    clock = Clock()
    lag = LoopLag(0.01, clock)
    return Admission(ServingSettings(**settings), lag, draw), lag, clock


def _shares(shedding: Shedding, clock: Clock, wait: float, seconds: float) -> list[float]:
    """Feed ``wait`` every 10 ms for ``seconds``; return the share after each step."""
    shares = []
    for _ in range(round(seconds / 0.01)):
        clock.now += 0.01
        shares.append(shedding.update(wait))
    return shares


def test_shedding_share_rises_while_the_wait_stays_over_the_limit():
    clock = Clock()
    shares = _shares(Shedding(0.25, clock), clock, wait=0.5, seconds=0.3)
    assert shares == sorted(shares)
    assert 0.5 < shares[0] < 0.6  # the proportional part, at once
    assert shares[-1] == 1.0  # twice the limit for 0.3 s: everything


def test_shedding_share_holds_while_the_wait_is_at_the_limit():
    clock = Clock()
    shedding = Shedding(0.25, clock)
    risen = _shares(shedding, clock, wait=0.3, seconds=0.2)[-1]
    held = _shares(shedding, clock, wait=0.25, seconds=2.0)
    assert 0 < risen < 1
    assert held == [pytest.approx(held[0])] * len(held)  # neither rises nor decays
    assert held[0] < risen  # less the proportional part of the 50 ms over


def test_shedding_share_stays_zero_while_the_wait_is_under_the_limit():
    clock = Clock()
    assert set(_shares(Shedding(0.25, clock), clock, wait=0.24, seconds=10.0)) == {0.0}


def test_shedding_share_returns_to_zero_within_a_second_once_the_load_is_gone():
    clock = Clock()
    shedding = Shedding(0.25, clock)
    _shares(shedding, clock, wait=1.0, seconds=2.0)  # refusing everything
    assert shedding.share == 1.0
    after = _shares(shedding, clock, wait=0.001, seconds=1.0)
    assert after[0] < 0.6  # the proportional part goes at once
    assert after[50:] == [0.0] * 50  # nothing refused after half a second


def test_shedding_share_falls_over_a_quiet_gap_at_once():
    clock = Clock()
    shedding = Shedding(0.25, clock)
    _shares(shedding, clock, wait=1.0, seconds=2.0)
    clock.now += 5.0  # no request at all for 5 s; the next one sees an on-time loop
    assert shedding.update(0.0) == 0.0


def test_shedding_one_step_after_a_long_gap_rises_by_a_bounded_step():
    clock = Clock()
    shedding = Shedding(0.25, clock)
    clock.now += 30.0  # idle, then the first request sees a queue
    assert shedding.update(0.5) == pytest.approx(0.2 + 0.5)  # 0.1 s of integral, not 30


def test_admission_takes_requests_while_the_loop_is_on_time():
    admission, _, clock = _admission(shed_lag_ms=500)
    clock.now += 0.2  # the probe is 190 ms overdue: late, but within the limit
    assert admission.refusal("/api/v1/clients/") is None


def test_admission_refuses_while_the_loop_stays_late():
    admission, lag, clock = _admission(shed_lag_ms=500)
    lag.previous, lag.last = 0.3, 0.4  # the last two probes were late: work is queueing
    clock.now += 0.6
    assert admission.refusal("/api/v1/clients/") == "lag"


def test_admission_remembers_the_last_probes_lag():
    admission, lag, _ = _admission(shed_lag_ms=500)
    lag.previous, lag.last = 0.3, 0.7  # 700 ms late; the next probe is not due yet
    assert admission.refusal("/api/v1/internet-plans/") == "lag"


def test_admission_refuses_only_the_share_of_requests():
    draws = iter([i / 10 for i in range(10)] * 10)  # 0.0, 0.1, ..., 0.9, again and again
    admission, lag, _ = _admission(lambda: next(draws), shed_lag_ms=500)
    lag.previous, lag.last = 0.6, 0.7  # 200 ms over the limit; the clock stands still
    reasons = [admission.refusal("/api/v1/internet-plans/") for _ in range(100)]
    share = admission.shedding.share
    assert share == pytest.approx(0.5 * 0.2 / 0.5)  # the proportional part alone: 0.2
    assert reasons.count("lag") == 20
    assert reasons.count(None) == 80


def test_admission_refuses_more_while_the_lag_stands_and_none_once_it_is_gone():
    draws = iter([i / 10 for i in range(10)] * 1000)
    admission, lag, clock = _admission(lambda: next(draws), shed_lag_ms=250)

    def refused(seconds: float) -> int:
        """Count the refusals of 10 requests every 10 ms for ``seconds``."""
        count = 0
        for _ in range(round(seconds / 0.01)):
            clock.now += 0.01
            lag.due = clock.now + 0.01  # the probe is never overdue
            count += [admission.refusal("/api/v1/internet-plans/") for _ in range(10)].count("lag")
        return count

    lag.previous = lag.last = 0.4  # a standing queue of 400 ms
    first, second = refused(0.1), refused(0.1)
    assert 0 < first < second < 100  # a share, rising
    lag.previous = lag.last = 0.002  # the load is gone
    refused(0.5)
    assert refused(1.0) == 0


def test_admission_takes_requests_after_a_single_stall():
    admission, lag, clock = _admission(shed_lag_ms=500)
    lag.previous, lag.last = 0.002, 0.9  # one pause (a collection, a preempted core), then on time
    clock.now += 0.6
    assert admission.refusal("/api/v1/clients/") is None


def test_admission_refuses_while_ready_connections_wait_long_for_their_turn():
    # The timer is on time (gevent runs it between batches of ready greenlets), but each
    # connection that yielded waited 300 and then 600 ms to run again: a queue of ready ones.
    admission, lag, _ = _admission(shed_lag_ms=500)
    lag.turn(0.3)
    lag.turn(0.6)
    assert lag.seconds() < 0.5
    assert admission.refusal("/api/v1/internet-plans/") == "lag"


def test_admission_takes_requests_after_a_single_long_turn():
    admission, lag, _ = _admission(shed_lag_ms=500)
    lag.turn(0.001)
    lag.turn(0.9)  # one pause, not a standing queue
    assert admission.refusal("/api/v1/internet-plans/") is None


def test_admission_forgets_turns_once_nobody_yields_any_more():
    admission, lag, clock = _admission(shed_lag_ms=500)
    lag.turn(0.8)
    lag.turn(0.9)
    clock.now += 1.5  # the load is gone: no connection has yielded for a while
    assert admission.refusal("/api/v1/internet-plans/") is None


def test_admission_never_refuses_health_and_metrics():
    admission, lag, clock = _admission(shed_lag_ms=500)
    lag.previous = lag.last = 1.0
    clock.now += 5
    assert [admission.refusal(p) for p in ("/health", "/health/ready", "/metrics")] == [None] * 3


def test_admission_refuses_past_the_in_flight_limit():
    admission, _, _ = _admission(max_in_flight=2)
    admission.in_flight = 2
    assert admission.refusal("/api/v1/clients/") == "in_flight"
    admission.in_flight = 1
    assert admission.refusal("/api/v1/clients/") is None


def test_admission_zero_limits_turn_shedding_off():
    admission, lag, clock = _admission(shed_lag_ms=0, max_in_flight=0)
    lag.previous = lag.last = 30.0
    lag.turn(30.0)
    lag.turn(30.0)
    lag.due = clock.now - 60  # the probe is a minute overdue too
    admission.in_flight = 10_000
    assert admission.refusal("/api/v1/clients/") is None


@pytest.fixture
def pairs():
    """Yield a function making connected socket pairs; close them all afterwards."""
    made: list[socket.socket] = []

    def make() -> socket.socket:
        ours, theirs = socket.socketpair()
        made.extend((ours, theirs))
        return ours

    yield make
    for sock in made:
        sock.close()


def test_connection_table_closes_the_oldest_idle_connection_to_keep_room(pairs):
    table = ConnectionTable(capacity=4, reserve=1)
    first, second, third = pairs(), pairs(), pairs()
    for sock in (first, second, third):
        table.opened()
        table.idle(sock)
    table.opened()  # the fourth: only capacity - reserve = 3 may stay open
    assert table.closed_idle == 1
    with pytest.raises(OSError):
        first.send(b"x")  # shut down
    second.send(b"x")  # still open


def test_connection_table_never_closes_a_busy_connection(pairs):
    table = ConnectionTable(capacity=3, reserve=1)
    busy = pairs()
    table.opened()
    table.busy(busy)
    table.opened()
    table.opened()
    assert table.closed_idle == 0
    busy.send(b"x")


def test_connection_table_counts_what_closes(pairs):
    table = ConnectionTable(capacity=10, reserve=1)
    sock = pairs()
    table.opened()
    table.idle(sock)
    table.closed(sock)
    assert (table.open, table.idle_count) == (0, 0)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (parse_errors.LimitRequestLine(5000, 4094), 414, "uri_too_long"),
        (parse_errors.LimitRequestHeaders("too many"), 431, "headers_too_large"),
        (parse_errors.InvalidRequestLine("GET /a b c"), 400, "bad_request"),
        (parse_errors.InvalidHeaderName("x y"), 400, "bad_request"),
        (parse_errors.InvalidResponseHeader("X-Bad"), 500, "internal_error"),
    ],
)
def test_refusal_for_parse_errors_has_status_and_code(error, status, code):
    refusal = answers.refusal_for(error)
    assert refusal is not None
    assert (refusal[0], refusal[2]) == (status, code)


def test_refusal_for_other_errors_is_none():
    assert answers.refusal_for(RuntimeError("boom")) is None


def test_json_answer_is_complete_http_in_the_error_shape():
    raw = answers.json_answer(answers.OVERLOADED, headers=[("Retry-After", "1")])
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 503 Service Unavailable"
    assert "Retry-After: 1" in lines and "Connection: close" in lines
    assert f"Content-Length: {len(body)}" in lines
    assert json.loads(body) == {"detail": answers.OVERLOADED[3], "code": "overloaded"}


@pytest.mark.parametrize("keep_alive", [True, False])
def test_json_answer_for_is_json_answer_with_its_request_id(keep_alive):
    headers = (("Retry-After", "1"),)
    for request_id in ("first-id", "second.id"):  # the second comes from the cached copy
        cached = answers.json_answer_for(
            answers.OVERLOADED,
            request_id,
            id_header="X-Request-ID",
            headers=headers,
            keep_alive=keep_alive,
            language="es",
        )
        assert cached == answers.json_answer(
            answers.OVERLOADED,
            headers=(*headers, ("X-Request-ID", request_id)),
            keep_alive=keep_alive,
            language="es",
        )
