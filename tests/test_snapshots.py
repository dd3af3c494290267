"""SnapshotStore: one build per host, adopted by every store; refresh ahead; stale if error.

Each "process" here is a store of its own over one state directory (the host's disk), with the
in-process builder; the fake dataset counts the times WispHub would be read.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.state import FakeClock
from wisphub_api.config import config_for_tests
from wisphub_api.services.artifact import ArtifactPaths, build_lock, read_pointer
from wisphub_api.services.builder import Builder, thread_runner
from wisphub_api.services.snapshots import SnapshotLoading, SnapshotStore, SnapshotUnavailable
from wisphub_api.upstream.errors import UpstreamTimeout, UpstreamUnavailable

TTL = 100.0


class Things:
    """A dataset whose fetch counts calls, can be slow, and fails on demand."""

    name = "things"
    ttl_setting = "CLIENTS_CACHE_TTL"

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls = 0
        self.delay = 0.0
        self.failure: Exception | None = None
        self._lock = threading.Lock()

    def fetch(self, upstream, config):
        with self._lock:
            self.calls += 1
            number = self.calls
        time.sleep(self.delay)
        if self.failure is not None:
            raise self.failure
        return {"number": number}, self.clock.now

    def encode(self, payload):
        return json.dumps(payload).encode()

    def decode(self, data):
        return json.loads(data)

    def sections(self, payload):
        return {"payload": json.dumps(payload).encode()}

    def load(self, sections, pause):
        pause()
        return json.loads(bytes(sections["payload"]))  # a slice of the file


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_000_000.0)


@pytest.fixture
def things(clock) -> Things:
    return Things(clock)


def make_store(root: Path, things: Things, clock: FakeClock, **overrides) -> SnapshotStore:
    config = config_for_tests(
        CLIENTS_CACHE_TTL=TTL,
        STALE_MAX_AGE=1000,
        CIRCUIT_FAILURE_THRESHOLD=2,
        CIRCUIT_RESET_SECONDS=60,
    )
    paths = ArtifactPaths(root, "things")
    builder = Builder(config, things, paths, upstream=None, shared=None, clock=clock)
    options = dict(
        ttl=TTL, stale_max_age=1000.0, refresh_fraction=0.8, cold_wait=5.0, failure_threshold=2
    )
    options.update(overrides)
    return SnapshotStore(
        "things",
        paths=paths,
        load=things.load,
        run_build=thread_runner(builder),
        clock=clock,
        **options,
    )


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_get_cold_loads_once_then_hits(tmp_path, things, clock):
    store = make_store(tmp_path, things, clock)
    view, state = store.get()
    assert (view, state.status) == ({"number": 1}, "MISS")
    view, state = store.get()
    assert (view, state.status, things.calls) == ({"number": 1}, "HIT", 1)


def test_get_concurrent_cold_requests_cause_one_load(tmp_path, things, clock):
    things.delay = 0.2
    store = make_store(tmp_path, things, clock)
    with ThreadPoolExecutor(max_workers=20) as pool:
        views = [f.result()[0] for f in [pool.submit(store.get) for _ in range(20)]]
    assert views == [{"number": 1}] * 20 and things.calls == 1


def test_stores_of_one_host_build_once_and_adopt(tmp_path, things, clock):
    first, second = make_store(tmp_path, things, clock), make_store(tmp_path, things, clock)
    events: list[str] = []
    second.listeners.append(lambda _name, event: events.append(event))
    first.get()
    assert second.get()[0] == {"number": 1}
    assert things.calls == 1 and "load_shared" in events


def test_a_store_does_not_build_while_another_process_holds_the_lock(tmp_path, things, clock):
    store = make_store(tmp_path, things, clock, cold_wait=0.3)
    with build_lock(ArtifactPaths(tmp_path, "things")) as held:
        assert held is not None  # "another process" builds
        with pytest.raises(SnapshotLoading) as loading:
            store.get()
    assert things.calls == 0
    assert loading.value.retry_after >= 0.3


def test_get_after_refresh_point_serves_now_and_refreshes_once_in_background(
    tmp_path, things, clock
):
    store = make_store(tmp_path, things, clock)
    store.get()
    clock.now += 85  # past refresh_after (80), within the TTL
    view, state = store.get()
    assert (view, state.status) == ({"number": 1}, "HIT")
    wait_until(lambda: store.peek()[0] == {"number": 2})
    for _ in range(10):
        store.get()
    assert things.calls == 2


def test_tick_refreshes_only_when_due(tmp_path, things, clock):
    store = make_store(tmp_path, things, clock)
    store.get()
    for _ in range(5):
        store.tick()
    assert things.calls == 1
    clock.now += 81
    store.tick()
    store.tick()
    assert things.calls == 2


def test_past_ttl_with_upstream_failing_serves_stale(tmp_path, things, clock):
    store = make_store(tmp_path, things, clock)
    store.get()
    things.failure = UpstreamUnavailable("down")
    clock.now += 150
    store.tick()
    view, state = store.get()
    assert (view, state.status) == ({"number": 1}, "STALE")
    assert state.age == pytest.approx(150)


def test_past_stale_max_age_old_data_is_not_served(tmp_path, things, clock):
    store = make_store(tmp_path, things, clock)
    store.get()
    things.failure = UpstreamTimeout("stalled")
    clock.now += 1001
    assert store.peek() is None
    with pytest.raises(UpstreamTimeout):
        store.get()


def test_failed_cold_load_stores_nothing_and_answers_its_error(tmp_path, things, clock):
    things.failure = UpstreamTimeout("stalled")
    store = make_store(tmp_path, things, clock)
    with pytest.raises(UpstreamTimeout):
        store.get()
    assert read_pointer(ArtifactPaths(tmp_path, "things")) is None
    things.failure = None
    assert store.get()[0] == {"number": 2}


def test_backoff_after_failures_stops_calling_upstream(tmp_path, things, clock):
    things.failure = UpstreamUnavailable("down")
    store = make_store(tmp_path, things, clock)
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            store.get()
    calls = things.calls
    with pytest.raises(SnapshotUnavailable) as refused:
        store.get()
    assert things.calls == calls == 2
    assert 48 <= refused.value.retry_after <= 60  # the reset pause, with jitter
    assert store.status()["circuit"] == "open"
    clock.now += 61
    things.failure = None
    assert store.get()[0] == {"number": 3}
    assert store.status()["circuit"] == "closed"


def test_cold_wait_is_bounded(tmp_path, things, clock):
    things.delay = 1.0
    store = make_store(tmp_path, things, clock, cold_wait=0.2)
    started = time.monotonic()
    with pytest.raises(SnapshotLoading):
        store.get()
    assert time.monotonic() - started < 0.9  # the build goes on; the request does not wait
    wait_until(lambda: store.current() is not None)


def test_a_restart_serves_the_snapshot_on_disk_at_once(tmp_path, things, clock):
    make_store(tmp_path, things, clock).get()
    clock.now += 500
    restarted = make_store(tmp_path, things, clock)
    assert restarted.peek() is None
    restarted.open()
    view, state = restarted.peek()
    assert (view, state.status, state.age) == ({"number": 1}, "STALE", 500)
    assert things.calls == 1  # nothing was read from WispHub to serve it


def test_a_damaged_snapshot_is_not_adopted(tmp_path, things, clock):
    store = make_store(tmp_path, things, clock)
    store.get()
    other = make_store(tmp_path, things, clock)
    pointer = read_pointer(ArtifactPaths(tmp_path, "things"))
    (tmp_path / pointer.file).write_bytes(b"garbage")
    other.open()
    assert other.peek() is None


def test_peek_never_loads(tmp_path, things, clock):
    store = make_store(tmp_path, things, clock)
    assert store.peek() is None
    time.sleep(0.1)
    assert things.calls == 0


def test_status_reports_warmth_age_source_and_circuit(tmp_path, things, clock):
    store = make_store(tmp_path, things, clock)
    assert store.status()["warm"] is False
    store.get()
    clock.now += 30
    status = store.status()
    assert status["warm"] is True and status["fresh"] is True
    assert status["age_seconds"] == pytest.approx(30)
    assert (status["source"], status["circuit"], status["last_error"]) == (
        "upstream",
        "closed",
        None,
    )


def test_an_adoption_gives_freed_memory_back(tmp_path, things, clock, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "wisphub_api.services.snapshots.release_free_memory", lambda: calls.append(1)
    )
    store = make_store(tmp_path, things, clock)
    store.get()
    assert calls == [1]
