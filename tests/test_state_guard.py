"""The breaker in front of the shared store: fail fast while down, one probe, one log per change."""

from __future__ import annotations

import logging
import threading

import pytest
import redis

from tests.support.state import FakeClock
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.state.guard import Guarded


class FlakyStore:
    """A store whose every call fails while ``down`` is set, counting the calls it received."""

    kind = "redis"

    def __init__(self) -> None:
        self.down = False
        self.calls = 0
        self.release = threading.Event()
        self.release.set()

    def get(self, key: str) -> bytes | None:
        self.calls += 1
        self.release.wait(5)
        if self.down:
            raise redis.TimeoutError("Timeout reading from socket")
        return b"v"


def guarded(clock: FakeClock) -> tuple[Guarded, FlakyStore]:
    store = FlakyStore()
    return Guarded(store, retry_seconds=5, clock=clock), store  # type: ignore[arg-type]


def test_guard_failure_opens_and_later_calls_fail_without_reaching_the_store():
    clock = FakeClock(100.0)
    guard, store = guarded(clock)
    store.down = True
    with pytest.raises(SharedStateUnavailable):
        guard.get("k")
    for _ in range(50):
        with pytest.raises(SharedStateUnavailable) as refused:
            guard.get("k")
        assert refused.value.retry_after == pytest.approx(5)
    assert store.calls == 1  # one timeout per interval, not one per request
    assert not guard.healthy


def test_guard_one_probe_after_the_interval_and_recovery():
    clock = FakeClock(100.0)
    guard, store = guarded(clock)
    store.down = True
    with pytest.raises(SharedStateUnavailable):
        guard.get("k")
    clock.now += 5
    with pytest.raises(SharedStateUnavailable):
        guard.get("k")  # the probe fails: open again
    assert store.calls == 2
    clock.now += 5
    store.down = False
    assert guard.get("k") == b"v"
    assert guard.healthy and guard.get("k") == b"v"


def test_guard_only_one_probe_at_a_time():
    clock = FakeClock(100.0)
    guard, store = guarded(clock)
    store.down = True
    with pytest.raises(SharedStateUnavailable):
        guard.get("k")
    clock.now += 5
    store.down, store.release = False, threading.Event()
    probe = threading.Thread(target=guard.get, args=("k",))
    probe.start()
    while store.calls < 2:
        threading.Event().wait(0.01)
    with pytest.raises(SharedStateUnavailable):
        guard.get("k")  # while the probe is out, others still fail fast
    store.release.set()
    probe.join(5)
    assert store.calls == 2 and guard.healthy


def test_guard_logs_one_line_per_change_of_state(caplog):
    clock = FakeClock(100.0)
    guard, store = guarded(clock)
    store.down = True
    with caplog.at_level(logging.WARNING, logger="wisphub_api.state"):
        for _ in range(20):
            with pytest.raises(SharedStateUnavailable):
                guard.get("k")
        clock.now += 5
        store.down = False
        for _ in range(20):
            guard.get("k")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "unavailable: TimeoutError" in messages[0]
    assert "available again" in messages[1]
    assert all(record.exc_info is None for record in caplog.records)  # no traceback
