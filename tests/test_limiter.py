"""The failure limiter: judged first, decided atomically, per caller and per service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.state import FakeClock, redis_url
from wisphub_api.services.limiter import FailureLimiter, LimitPolicy
from wisphub_api.state.guard import Guarded
from wisphub_api.state.local import LocalStore
from wisphub_api.state.redis_store import RedisStore, connect

WINDOW = 900.0
POLICY = LimitPolicy(max_failures=5, max_failures_per_service=20, window_seconds=WINDOW)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_000.0)


@pytest.fixture(params=["local", "redis"])
def limiter(request, tmp_path, clock) -> Iterator[FailureLimiter]:
    """A limiter on a fresh local store (fake clock) or under a fresh Redis prefix."""
    if request.param == "local":
        store: LocalStore | RedisStore = LocalStore(tmp_path / "s.sqlite3", clock=clock)
    else:
        client = connect(redis_url(), timeout=1.0, max_connections=20, pool_timeout=1.0)
        store = RedisStore(client, prefix=f"test-{uuid.uuid4().hex}:")
    yield FailureLimiter(Guarded(store, retry_seconds=5), POLICY, secret=b"k")
    store.close()


def fail(limiter: FailureLimiter, times: int, user: str | None = None, service: int = 7) -> None:
    for _ in range(times):
        assert limiter.decide(service, user, failed=True) == 0


def test_limiter_five_failures_answered_then_refused(limiter):
    fail(limiter, 5)
    assert 0 < limiter.decide(7, None, failed=True) <= WINDOW
    assert limiter.decide(7, None, failed=False) > 0  # a right answer is refused too


def test_limiter_successes_never_take_a_slot(limiter):
    for _ in range(50):
        assert limiter.decide(7, None, failed=False) == 0
    fail(limiter, 5)  # the five failures are still all answered


def test_limiter_refusals_do_not_count(limiter):
    fail(limiter, 5)
    for _ in range(30):
        assert limiter.decide(7, None, failed=True) > 0
    # The per-service ceiling (20) was never reached by the refused attempts: another caller
    # still has all five of its own.
    fail(limiter, 5, user="+573001112233")


def test_limiter_stranger_locks_only_themselves(limiter):
    fail(limiter, 5, user="stranger")
    assert limiter.decide(7, "stranger", failed=False) > 0
    assert limiter.decide(7, "subscriber", failed=False) == 0
    assert limiter.decide(7, None, failed=False) == 0  # headerless callers count apart


def test_limiter_many_strangers_hit_the_service_ceiling(limiter):
    for number in range(4):
        fail(limiter, 5, user=f"stranger-{number}")
    assert limiter.decide(7, "subscriber", failed=False) > 0  # 20 failures: the ceiling
    assert limiter.decide(8, "subscriber", failed=False) == 0  # other services unaffected


def test_limiter_services_independent(limiter):
    fail(limiter, 5)
    assert limiter.decide(8, None, failed=False) == 0


def test_limiter_concurrent_guesses_never_overshoot(limiter):
    def guess(_: int) -> float:
        return limiter.decide(7, None, failed=True)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(guess, range(60)))
    assert answers.count(0) == 5


def test_limiter_window_counts_from_first_failure_and_is_not_extended(tmp_path, clock):
    store = LocalStore(tmp_path / "s.sqlite3", clock=clock)
    limiter = FailureLimiter(Guarded(store, retry_seconds=5), POLICY, secret=b"k")
    fail(limiter, 1)
    clock.now += 300
    fail(limiter, 4)
    clock.now += 100
    assert limiter.decide(7, None, failed=True) == pytest.approx(WINDOW - 400)
    clock.now += 400
    assert limiter.decide(7, None, failed=False) > 0  # refused attempts did not extend it
    clock.now += 100.5
    assert limiter.decide(7, None, failed=False) == 0  # the window passed


def test_limiter_end_user_kept_only_as_a_keyed_hash(tmp_path):
    store = LocalStore(tmp_path / "s.sqlite3")
    limiter = FailureLimiter(Guarded(store, retry_seconds=5), POLICY, secret=b"secret")
    limiter.decide(7, "+57 300 111 2233", failed=True)
    raw = (tmp_path / "s.sqlite3").read_bytes()
    assert b"300 111 2233" not in raw and b"3001112233" not in raw
    other = FailureLimiter(Guarded(store, retry_seconds=5), POLICY, secret=b"other")
    assert other.caller_key("x") != limiter.caller_key("x")


@pytest.mark.parametrize(
    ("per_user", "per_service", "window"), [(0, 20, 900), (5, 0, 900), (5, 20, 0)]
)
def test_limiter_invalid_settings_rejected(per_user, per_service, window):
    with pytest.raises(ValueError):
        LimitPolicy(per_user, per_service, window)
