"""WispHub's 429: one call, no retry before Retry-After, every later call refused unsent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import responses

from tests.support.state import FakeClock
from wisphub_api.upstream import UpstreamRateLimited, WispHubClient
from wisphub_api.upstream.gate import (
    DEFAULT_RETRY_AFTER,
    MAX_RETRY_AFTER,
    RateGate,
    retry_after_seconds,
)

BASE = "https://wisphub.test"
KEY = "Ab12Cd34.0123456789abcdefghijklmnopqrstuv"
URL = f"{BASE}/api/clientes/"
PAGE = {"count": 1, "next": None, "previous": None, "results": [{"id_servicio": 7, "nombre": "A"}]}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(100.0)


@pytest.fixture
def client(clock) -> WispHubClient:
    upstream = WispHubClient(BASE, KEY, retries=2, backoff=0)
    upstream.gate = RateGate(clock=clock)
    return upstream


def test_429_is_one_call_and_raises_with_its_retry_after(client):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, status=429, headers={"Retry-After": "7"})
        with pytest.raises(UpstreamRateLimited) as raised:
            client.find_clients(id_servicio=7)
        assert len(mock.calls) == 1  # not retried by urllib3
    assert raised.value.retry_after == pytest.approx(7)
    assert raised.value.sent is False  # refused outright: safe to send again later


def test_calls_before_retry_after_are_refused_without_sending(client, clock):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(URL, status=429, headers={"Retry-After": "10"})
        with pytest.raises(UpstreamRateLimited):
            client.find_clients(id_servicio=7)
        clock.now += 6
        for _ in range(20):
            with pytest.raises(UpstreamRateLimited) as refused:
                client.find_clients(id_servicio=7)
            assert refused.value.sent is False
            assert refused.value.retry_after == pytest.approx(4)
        assert len(mock.calls) == 1


def test_calls_go_again_once_retry_after_passed(client, clock):
    with responses.RequestsMock() as mock:
        mock.get(URL, status=429, headers={"Retry-After": "5"})
        mock.get(URL, json=PAGE)
        with pytest.raises(UpstreamRateLimited):
            client.find_clients(id_servicio=7)
        clock.now += 5
        assert [c.service_id for c in client.find_clients(id_servicio=7)] == [7]


def test_a_write_answered_429_is_not_retried(client):
    with responses.RequestsMock() as mock:
        mock.put(f"{BASE}/api/clientes/7/perfil/", status=429, headers={"Retry-After": "3"})
        with pytest.raises(UpstreamRateLimited):
            client.update_profile(7, {"city": "CALI"})
        assert len(mock.calls) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("12", 12.0),
        ("0", 1.0),
        ("999999", MAX_RETRY_AFTER),
        (None, DEFAULT_RETRY_AFTER),
        ("soon", DEFAULT_RETRY_AFTER),
        ("nan", DEFAULT_RETRY_AFTER),
    ],
)
def test_retry_after_seconds_parses_and_bounds(header, expected):
    assert retry_after_seconds(header) == expected


def test_retry_after_seconds_reads_an_http_date():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=40), usegmt=True)
    assert retry_after_seconds(header, now=now.timestamp()) == pytest.approx(40)
