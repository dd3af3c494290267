"""Both shared stores keep the same promises: expiry, add, owned delete, limits, logs."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.state import FakeClock, redis_url
from wisphub_api.state.local import LocalStore
from wisphub_api.state.redis_store import RedisStore, connect


@pytest.fixture(params=["local", "redis"])
def store(request, tmp_path):
    """Yield a LocalStore on a fresh file, or a RedisStore under a fresh key prefix."""
    if request.param == "local":
        local = LocalStore(tmp_path / "state.sqlite3")
        yield local
        local.close()
        return
    client = connect(redis_url(), timeout=1.0, max_connections=20, pool_timeout=1.0)
    yield RedisStore(client, prefix=f"test-{uuid.uuid4().hex}:")
    client.close()


def test_store_set_get_delete(store):
    assert store.get("k") is None
    store.set("k", b"v", 60)
    assert store.get("k") == b"v"
    store.delete("k")
    assert store.get("k") is None


def test_store_add_only_when_absent(store):
    assert store.add("lock", b"a", 60) is True
    assert store.add("lock", b"b", 60) is False
    assert store.get("lock") == b"a"


def test_store_delete_only_if_it_still_holds_the_token(store):
    store.set("lock", b"mine", 60)
    store.delete("lock", only_if=b"theirs")
    assert store.get("lock") == b"mine"
    store.delete("lock", only_if=b"mine")
    assert store.get("lock") is None


def test_store_limit_counts_failures_until_the_limit_then_refuses(store):
    keys, limits = ["a", "b"], [3, 10]
    for _ in range(3):
        assert store.limit_attempt(keys, limits, 60, failed=True) == 0
    wait = store.limit_attempt(keys, limits, 60, failed=False)
    assert 0 < wait <= 60  # "a" is at its limit: refused, even for a success
    assert store.limit_attempt(["b"], [10], 60, failed=False) == 0  # "b" counted 3 of 10


def test_store_limit_refusals_change_nothing(store):
    for _ in range(2):
        store.limit_attempt(["k"], [2], 60, failed=True)
    for _ in range(5):
        assert store.limit_attempt(["k"], [2], 60, failed=True) > 0
    assert store.limit_attempt(["k"], [3], 60, failed=False) == 0  # still 2, not 7


def test_store_limit_successes_do_not_count(store):
    for _ in range(10):
        assert store.limit_attempt(["k"], [1], 60, failed=False) == 0


def test_store_limit_is_atomic_under_concurrency(store):
    def attempt(_: int) -> float:
        return store.limit_attempt(["k"], [5], 60, failed=True)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(attempt, range(60)))
    assert answers.count(0) == 5


def test_store_log_appends_in_order_and_reads_since(store):
    seqs = [store.append("log", f"e{i}".encode(), retention=60, cap=100) for i in range(3)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [entry for _, entry in store.read_since("log", 0)] == [b"e0", b"e1", b"e2"]
    assert [entry for _, entry in store.read_since("log", seqs[0])] == [b"e1", b"e2"]
    assert store.read_since("other", 0) == []


def test_store_log_keeps_equal_entries_apart(store):
    store.append("log", b"same", retention=60, cap=100)
    store.append("log", b"same", retention=60, cap=100)
    assert [entry for _, entry in store.read_since("log", 0)] == [b"same", b"same"]


def test_store_log_keeps_the_newest_cap_entries(store):
    for i in range(5):
        store.append("log", f"e{i}".encode(), retention=60, cap=2)
    store.append("busy", b"x", retention=60, cap=2)  # other logs do not trim this one
    assert [entry for _, entry in store.read_since("log", 0)] == [b"e3", b"e4"]


def test_local_store_expiry_follows_its_clock(tmp_path):
    clock = FakeClock(1000.0)
    store = LocalStore(tmp_path / "s.sqlite3", clock=clock)
    store.set("k", b"v", 10)
    store.limit_attempt(["c"], [1], 10, failed=True)
    assert store.limit_attempt(["c"], [1], 10, failed=False) == pytest.approx(10)
    clock.now += 10.5
    assert store.get("k") is None
    assert store.add("k", b"w", 10) is True
    assert store.limit_attempt(["c"], [1], 10, failed=False) == 0  # the window passed


def test_local_store_is_shared_by_two_connections_to_one_file(tmp_path):
    first, second = LocalStore(tmp_path / "s.sqlite3"), LocalStore(tmp_path / "s.sqlite3")
    first.set("k", b"v", 60)
    assert second.get("k") == b"v"
    second.append("log", b"e", retention=60, cap=10)
    assert [entry for _, entry in first.read_since("log", 0)] == [b"e"]
