"""SnapshotStore: single flight, refresh ahead, stale if error, shared between processes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from cachelib import SimpleCache

from wisphub_api.services.breaker import CircuitBreaker
from wisphub_api.services.snapshots import SnapshotStore, SnapshotUnavailable
from wisphub_api.upstream.errors import UpstreamTimeout, UpstreamUnavailable

TTL = 100.0


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """An upstream stand-in that counts calls and fails on demand."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self.failing = False
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
            number = self.calls
        time.sleep(self.delay)
        if self.failing:
            raise UpstreamUnavailable("down")
        return ("payload", number)


def make_store(backend=None, loader=None, clock=None, **overrides) -> SnapshotStore:
    options = dict(
        ttl=TTL,
        stale_max_age=1000.0,
        refresh_fraction=0.8,
        wait_seconds=5.0,
        breaker=CircuitBreaker(threshold=2, reset_seconds=60, clock=clock or Clock()),
    )
    options.update(overrides)
    return SnapshotStore(
        "things",
        backend=backend or SimpleCache(),
        load=loader or Loader(),
        build=lambda payload, fetched_at: payload,
        clock=clock or Clock(),
        **options,
    )


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_get_cold_loads_once_then_hits():
    loader = Loader()
    store = make_store(loader=loader)
    view, state = store.get()
    assert (view, state.status) == (("payload", 1), "MISS")
    view, state = store.get()
    assert (view, state.status, loader.calls) == (("payload", 1), "HIT", 1)


def test_get_concurrent_cold_requests_cause_one_load():
    loader = Loader(delay=0.2)
    store = make_store(loader=loader)
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda _: store.get()[0], range(200)))
    assert loader.calls == 1
    assert set(results) == {("payload", 1)}


def test_get_after_refresh_point_serves_now_and_refreshes_once_in_background():
    clock, loader = Clock(), Loader(delay=0.1)
    store = make_store(loader=loader, clock=clock)
    store.get()
    clock.now += TTL * 0.85
    states = [store.get()[1].status for _ in range(20)]
    assert states == ["HIT"] * 20  # nobody waited for the refresh
    wait_until(lambda: store.get()[0] == ("payload", 2))
    assert loader.calls == 2


def test_refresh_if_due_refreshes_once_per_ttl():
    clock, loader = Clock(), Loader()
    store = make_store(loader=loader, clock=clock)
    for _ in range(5):  # five TTLs, the loop ticking ten times in each
        for _ in range(10):
            store.refresh_if_due()
            clock.now += TTL / 10
    # The first load, then one each time the snapshot reaches 0.8 TTL: at 80, 160, ... 480.
    assert loader.calls == 1 + int(5 * TTL // (0.8 * TTL))


def test_get_past_ttl_with_upstream_failing_serves_stale():
    clock, loader = Clock(), Loader()
    store = make_store(loader=loader, clock=clock)
    store.get()
    loader.failing = True
    clock.now += TTL * 3
    view, state = store.get()
    assert (view, state.status) == (("payload", 1), "STALE")
    assert state.age == pytest.approx(TTL * 3)


def test_get_past_stale_max_age_raises_instead_of_serving_old_data():
    clock, loader = Clock(), Loader()
    store = make_store(loader=loader, clock=clock, stale_max_age=500.0)
    store.get()
    loader.failing = True
    clock.now += 501
    with pytest.raises(UpstreamUnavailable):
        store.get()


def test_failed_cold_load_stores_nothing():
    backend, loader = SimpleCache(), Loader()
    loader.failing = True
    store = make_store(backend=backend, loader=loader)
    with pytest.raises(UpstreamUnavailable):
        store.get()
    assert backend.get("things:meta") is None
    assert store.peek() is None
    loader.failing = False
    assert store.get()[0] == ("payload", 2)  # the failure was not remembered as data


def test_breaker_opens_after_threshold_and_stops_calling_upstream():
    clock, loader = Clock(), Loader()
    loader.failing = True
    store = make_store(
        loader=loader,
        clock=clock,
        breaker=CircuitBreaker(threshold=2, reset_seconds=60, clock=clock),
    )
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            store.get()
    with pytest.raises(SnapshotUnavailable) as raised:
        store.get()
    assert loader.calls == 2
    assert 0 < raised.value.retry_after <= 60
    clock.now += 61  # half-open: one probe goes through and closes the circuit
    loader.failing = False
    assert store.get()[0] == ("payload", 3)
    assert store.breaker.state == "closed"


def test_two_processes_sharing_a_backend_load_once():
    backend, clock = SimpleCache(), Clock()
    first_loader, second_loader = Loader(), Loader()
    first = make_store(backend=backend, loader=first_loader, clock=clock)
    second = make_store(backend=backend, loader=second_loader, clock=clock)
    first.get()
    view, state = second.get()
    assert view == ("payload", 1)
    assert state.status == "HIT"
    assert (first_loader.calls, second_loader.calls) == (1, 0)


def test_process_waits_for_the_lock_holder_instead_of_loading():
    backend, clock = SimpleCache(), Clock()
    slow, other = Loader(delay=0.3), Loader()
    leader = make_store(backend=backend, loader=slow, clock=clock)
    follower = make_store(backend=backend, loader=other, clock=clock)
    thread = threading.Thread(target=leader.get)
    thread.start()
    wait_until(lambda: backend.get("things:lock") is not None)
    assert follower.get()[0] == ("payload", 1)
    thread.join()
    assert other.calls == 0


def test_waiting_for_a_lock_holder_that_never_stores_times_out():
    backend = SimpleCache()
    backend.add("things:lock", "someone-else", timeout=60)
    store = make_store(backend=backend, wait_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        store.get()
    assert time.monotonic() - started < 2


def test_replace_publishes_a_new_version_to_other_processes():
    backend, clock = SimpleCache(), Clock()
    first = make_store(backend=backend, clock=clock)
    second = make_store(backend=backend, clock=clock)
    first.get()
    second.get()
    first.replace(("payload", "edited"))
    assert second.get()[0] == ("payload", "edited")


def test_replace_deletes_the_previous_payload():
    backend = SimpleCache()
    store = make_store(backend=backend)
    store.get()
    old_version = backend.get("things:meta")["version"]
    store.replace(("payload", "edited"))
    assert backend.get(f"things:data:{old_version}") is None


def test_peek_on_cold_store_does_not_call_upstream():
    loader = Loader()
    store = make_store(loader=loader)
    assert store.peek() is None
    assert loader.calls == 0


def test_status_reports_warmth_age_and_circuit():
    clock = Clock()
    store = make_store(clock=clock)
    assert store.status()["warm"] is False
    store.get()
    clock.now += 12.5
    status = store.status()
    assert status["warm"] is True
    assert status["age_seconds"] == 12.5
    assert status["fresh"] is True
    assert status["circuit"] == "closed"


class CountingCache(SimpleCache):
    """A shared cache that counts the reads of each key."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: dict[str, int] = {}

    def get(self, key):
        self.reads[key] = self.reads.get(key, 0) + 1
        return super().get(key)


def test_warm_requests_read_only_the_small_meta_record():
    backend = CountingCache()
    store = make_store(backend=backend)
    store.get()
    backend.reads.clear()
    for _ in range(100):
        store.get()
    data_reads = sum(n for key, n in backend.reads.items() if ":data:" in key)
    assert data_reads == 0  # the payload is never unpickled again while the version holds
    assert backend.reads["things:meta"] == 100


def test_new_shared_version_is_read_once_per_process():
    backend, clock = CountingCache(), Clock()
    writer = make_store(backend=backend, clock=clock)
    reader = make_store(backend=backend, clock=clock)
    writer.get()
    reader.get()
    writer.replace(("payload", "edited"))
    backend.reads.clear()
    for _ in range(50):
        assert reader.get()[0] == ("payload", "edited")
    assert sum(n for key, n in backend.reads.items() if ":data:" in key) == 1


def test_no_refresh_while_our_view_of_a_fresh_shared_version_is_still_building():
    backend, clock = SimpleCache(), Clock()
    writer_loader, reader_loader = Loader(), Loader()
    writer = make_store(backend=backend, loader=writer_loader, clock=clock)
    reader = make_store(backend=backend, loader=reader_loader, clock=clock)
    writer.get()
    reader.get()
    clock.now += TTL * 0.9
    writer.refresh_if_due()  # the writer stores a fresh version
    assert writer_loader.calls == 2
    assert reader._adopt_lock.acquire()  # as if another request were building that view
    try:
        reader.refresh_if_due()
    finally:
        reader._adopt_lock.release()
    assert reader_loader.calls == 0  # it never fetched: the shared version is fresh
