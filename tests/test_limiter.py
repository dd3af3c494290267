from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from wisphub_api.services.limiter import FailureLimiter, MemoryCounter, RedisCounter

WINDOW = 900.0


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> FailureLimiter:
    return FailureLimiter(MemoryCounter(clock=clock), max_failures=5, window_seconds=WINDOW)


def fail(limiter: FailureLimiter, key: str, times: int) -> None:
    for _ in range(times):
        limiter.record_failure(key)


def test_limiter_five_failures_answered_sixth_refused(
    limiter: FailureLimiter, clock: FakeClock
) -> None:
    for _ in range(5):
        assert limiter.check("7") is None
        limiter.record_failure("7")
        clock.now += 10
    assert limiter.check("7") == pytest.approx(WINDOW - 50)


def test_limiter_retry_after_counts_from_first_failure(
    limiter: FailureLimiter, clock: FakeClock
) -> None:
    fail(limiter, "7", 1)
    clock.now += 300
    fail(limiter, "7", 4)
    clock.now += 100
    assert limiter.check("7") == pytest.approx(WINDOW - 400)


def test_limiter_window_passed_allows_again(limiter: FailureLimiter, clock: FakeClock) -> None:
    fail(limiter, "7", 5)
    clock.now += WINDOW
    assert limiter.check("7") is None
    fail(limiter, "7", 4)
    assert limiter.check("7") is None


def test_limiter_failures_after_lock_do_not_extend_window(
    limiter: FailureLimiter, clock: FakeClock
) -> None:
    fail(limiter, "7", 5)
    clock.now += 800
    fail(limiter, "7", 3)
    assert limiter.check("7") == pytest.approx(100)


def test_limiter_keys_independent(limiter: FailureLimiter) -> None:
    fail(limiter, "7", 5)
    assert limiter.check("8") is None
    assert limiter.check("7") is not None


def test_limiter_checks_not_counted(limiter: FailureLimiter) -> None:
    for _ in range(50):
        assert limiter.check("7") is None


def test_limiter_reset_forgets_failures(limiter: FailureLimiter) -> None:
    fail(limiter, "7", 5)
    limiter.reset("7")
    assert limiter.check("7") is None


@pytest.mark.parametrize(("max_failures", "window"), [(0, 900), (5, 0), (5, -1)])
def test_limiter_invalid_settings_rejected(max_failures: int, window: float) -> None:
    with pytest.raises(ValueError, match="max_failures"):
        FailureLimiter(MemoryCounter(), max_failures=max_failures, window_seconds=window)


def test_memory_counter_bounded_oldest_evicted(clock: FakeClock) -> None:
    counter = MemoryCounter(max_keys=3, clock=clock)
    for key in "abcde":
        counter.incr(key, WINDOW)
        clock.now += 1
    assert len(counter) == 3
    assert counter.peek("a") == (0, 0.0)
    assert counter.peek("e")[0] == 1


def test_memory_counter_expired_entries_purged(clock: FakeClock) -> None:
    counter = MemoryCounter(clock=clock)
    for key in "abcd":
        counter.incr(key, WINDOW)
    clock.now += WINDOW
    counter.incr("z", WINDOW)
    assert len(counter) == 1


def test_memory_counter_concurrent_increments_all_counted() -> None:
    counter = MemoryCounter()
    threads = [
        threading.Thread(target=lambda: [counter.incr("k", WINDOW) for _ in range(500)])
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.peek("k")[0] == 4_000


def connect() -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5, socket_timeout=2)


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = connect()
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379 ({type(error).__name__})")
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    prefix = f"test:wisphub:limiter:{uuid.uuid4().hex}:"
    yield prefix
    for key in redis_client.scan_iter(match=prefix + "*"):
        redis_client.delete(key)


def test_redis_limiter_five_failures_then_refused(redis_client: redis.Redis, prefix: str) -> None:
    limiter = FailureLimiter(RedisCounter(redis_client, prefix), window_seconds=WINDOW)
    for _ in range(5):
        assert limiter.check("7") is None
        limiter.record_failure("7")
    assert limiter.check("7") == pytest.approx(WINDOW, abs=2)
    assert limiter.check("8") is None


def test_redis_counter_two_workers_share_one_count(redis_client: redis.Redis, prefix: str) -> None:
    other = connect()
    try:
        worker_a = FailureLimiter(RedisCounter(redis_client, prefix), window_seconds=WINDOW)
        worker_b = FailureLimiter(RedisCounter(other, prefix), window_seconds=WINDOW)
        fail(worker_a, "7", 3)
        fail(worker_b, "7", 2)
        assert worker_a.check("7") is not None
        assert worker_b.check("7") is not None
    finally:
        other.close()


def test_redis_counter_window_fixed_at_first_failure(
    redis_client: redis.Redis, prefix: str
) -> None:
    counter = RedisCounter(redis_client, prefix)
    count, first = counter.incr("7", WINDOW)
    redis_client.pexpire(prefix + "7", 5_000)
    count, second = counter.incr("7", WINDOW)
    assert (count, first) == (2, pytest.approx(WINDOW, abs=1))
    assert 0 < second <= 5
    assert counter.peek("7") == (2, pytest.approx(second, abs=0.5))


def test_redis_counter_window_passed_allows_again(redis_client: redis.Redis, prefix: str) -> None:
    limiter = FailureLimiter(RedisCounter(redis_client, prefix), window_seconds=0.05)
    fail(limiter, "7", 5)
    assert limiter.check("7") is not None
    time.sleep(0.12)
    assert limiter.check("7") is None


def test_redis_counter_key_without_expiry_repaired(redis_client: redis.Redis, prefix: str) -> None:
    redis_client.set(prefix + "7", 9)
    count, remaining = RedisCounter(redis_client, prefix).incr("7", WINDOW)
    assert (count, remaining) == (10, pytest.approx(WINDOW, abs=1))
    assert redis_client.pttl(prefix + "7") > 0


def test_redis_counter_absent_and_reset(redis_client: redis.Redis, prefix: str) -> None:
    counter = RedisCounter(redis_client, prefix)
    assert counter.peek("7") == (0, 0.0)
    counter.incr("7", WINDOW)
    counter.delete("7")
    assert counter.peek("7") == (0, 0.0)


def test_attempt_reserves_atomically_so_concurrent_guesses_cannot_overshoot() -> None:
    limiter = FailureLimiter(MemoryCounter(), max_failures=5, window_seconds=900)
    verdicts = [limiter.attempt("svc") for _ in range(20)]  # all "in flight" at once
    assert verdicts[:5] == [None] * 5
    assert all(wait is not None and wait > 0 for wait in verdicts[5:])


def test_release_gives_back_a_successful_attempt() -> None:
    limiter = FailureLimiter(MemoryCounter(), max_failures=2, window_seconds=900)
    for _ in range(10):
        assert limiter.attempt("svc") is None
        limiter.release("svc")
    assert limiter.attempt("svc") is None
    assert limiter.attempt("svc") is None
    assert limiter.attempt("svc") is not None


def test_release_never_goes_below_zero() -> None:
    counter = MemoryCounter()
    counter.decr("nothing")
    counter.incr("svc", 60)
    counter.decr("svc")
    counter.decr("svc")
    assert counter.peek("svc")[0] == 0


def test_redis_release_keeps_the_window_and_floor(redis_client: redis.Redis, prefix: str) -> None:
    counter = RedisCounter(redis_client, prefix)
    counter.incr("9", WINDOW)
    counter.decr("9")
    counter.decr("9")
    count, remaining = counter.peek("9")
    assert count == 0
    assert 0 < remaining <= WINDOW
