"""BriefCache: fresh hits, one load for concurrent askers, stale while upstream fails."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from cachelib import SimpleCache

from tests.support.state import FakeClock
from wisphub_api.services.brief import BriefCache
from wisphub_api.upstream.errors import UpstreamTimeout, UpstreamUnavailable


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def cache(clock) -> BriefCache[list[int]]:
    return BriefCache(SimpleCache(), "invoices", ttl=60, stale_max_age=3600, clock=clock)


def test_brief_fresh_answers_are_hits_without_loading(cache, clock):
    loads = []
    assert cache.get("7", lambda: loads.append(1) or [1])[1].status == "MISS"
    clock.now += 59
    value, state = cache.get("7", lambda: loads.append(1) or [2])
    assert (value, state.status, len(loads)) == ([1], "HIT", 1)


def test_brief_old_answers_are_loaded_again(cache, clock):
    cache.get("7", lambda: [1])
    clock.now += 61
    value, state = cache.get("7", lambda: [2])
    assert (value, state.status) == ([2], "MISS")
    assert cache.get("7", lambda: [3])[0] == [2]  # the new answer is fresh again


def test_brief_serves_stale_when_upstream_fails(cache, clock):
    cache.get("7", lambda: [1])
    clock.now += 120

    def fail() -> list[int]:
        raise UpstreamUnavailable("down")

    value, state = cache.get("7", fail)
    assert (value, state.status) == ([1], "STALE")
    assert state.age == pytest.approx(120)


def test_brief_failure_without_stale_data_raises_and_stores_nothing(cache):
    def fail() -> list[int]:
        raise UpstreamTimeout("stalled")

    with pytest.raises(UpstreamTimeout):
        cache.get("7", fail)
    assert cache.get("7", lambda: [5])[0] == [5]


def test_brief_concurrent_askers_share_one_load():
    cache: BriefCache[int] = BriefCache(SimpleCache(), "t", ttl=60, stale_max_age=600)
    started, release, calls = threading.Event(), threading.Event(), []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    with ThreadPoolExecutor(max_workers=10) as pool:
        first = pool.submit(cache.get, "k", slow)
        started.wait(5)
        others = [pool.submit(cache.get, "k", slow) for _ in range(9)]
        release.set()
        answers = [first.result()[0]] + [f.result()[0] for f in others]
    assert answers == [42] * 10 and len(calls) == 1


def test_brief_concurrent_askers_share_the_failure_too():
    cache: BriefCache[int] = BriefCache(SimpleCache(), "t", ttl=60, stale_max_age=600)
    started, release, calls = threading.Event(), threading.Event(), []

    def failing() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        raise UpstreamUnavailable("down")

    with ThreadPoolExecutor(max_workers=5) as pool:
        first = pool.submit(cache.get, "k", failing)
        started.wait(5)
        others = [pool.submit(cache.get, "k", failing) for _ in range(4)]
        release.set()
        for future in [first, *others]:
            with pytest.raises(UpstreamUnavailable):
                future.result()
    assert len(calls) == 1


def test_brief_put_replaces_the_answer_at_once(cache):
    cache.get("7", lambda: [1])
    cache.put("7", [1, 2])
    assert cache.get("7", lambda: [9])[0] == [1, 2]
    cache.forget("7")
    assert cache.get("7", lambda: [9])[0] == [9]
