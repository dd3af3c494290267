"""Limit repeated failed identity verifications of one key (a service id), in a fixed window.

The window opens at the first failure and lasts ``window_seconds``; later failures do not extend
it. After ``max_failures`` failures in the window every check is refused until it closes.

A success does not reset the count. Resetting would let anyone who knows (or once guessed) a
valid pair of fields launder the counter between guesses of the other fields, which turns the
limit into no limit. The legitimate subscriber loses little: a success means they need no further
attempt, and the window closes by itself at most ``window_seconds`` after the first failure.
``reset`` exists for operators and tests.

The count is per key, not per caller: someone failing on purpose can lock a subscriber's
verification for one window. That is the price of a limit attackers cannot dodge by changing
address; it is bounded by the window.

``attempt`` reserves a slot atomically (one increment) before the check runs, so N concurrent
attempts at the limit cannot all slip through; ``release`` gives the slot back when the attempt
turned out not to be a failure.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis


class CounterBackend(Protocol):
    """A store of counters that expire a fixed time after their first increment."""

    def incr(self, key: str, window_seconds: float) -> tuple[int, float]:
        """Add one to ``key``; return the count and the seconds until its window ends."""
        ...

    def peek(self, key: str) -> tuple[int, float]:
        """Return the count of ``key`` and the seconds until its window ends ((0, 0.0) if none)."""
        ...

    def decr(self, key: str) -> None:
        """Subtract one from ``key`` if it is live (never below zero)."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        ...


class FailureLimiter:
    """Refuse a key after ``max_failures`` failures until the window of the first one passes."""

    def __init__(
        self, backend: CounterBackend, *, max_failures: int = 5, window_seconds: float = 900
    ) -> None:
        if max_failures < 1 or window_seconds <= 0:
            raise ValueError("max_failures must be at least 1 and window_seconds positive")
        self.backend = backend
        self.max_failures = max_failures
        self.window_seconds = window_seconds

    def check(self, key: str) -> float | None:
        """Return the seconds to wait when ``key`` is locked, or None when it may try."""
        count, remaining = self.backend.peek(key)
        if count >= self.max_failures and remaining > 0:
            return remaining
        return None

    def attempt(self, key: str) -> float | None:
        """Reserve one attempt of ``key``; return the seconds to wait when it is over the limit.

        The reservation counts as a failure until ``release`` gives it back.
        """
        count, remaining = self.backend.incr(key, self.window_seconds)
        if count > self.max_failures and remaining > 0:
            return remaining
        return None

    def release(self, key: str) -> None:
        """Give back a reservation made by ``attempt`` (the attempt did not fail)."""
        self.backend.decr(key)

    def record_failure(self, key: str) -> None:
        """Count one failed attempt of ``key``."""
        self.backend.incr(key, self.window_seconds)

    def reset(self, key: str) -> None:
        """Forget the failures of ``key``."""
        self.backend.delete(key)


class MemoryCounter:
    """Counters in this process only (tests, a single worker); thread- and greenlet-safe."""

    def __init__(
        self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: dict[str, tuple[int, float]] = {}  # key → (count, expiry), oldest first
        self._lock = threading.Lock()  # gevent patches it into a greenlet-aware lock
        self._max_keys = max_keys
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def incr(self, key: str, window_seconds: float) -> tuple[int, float]:
        """Add one to ``key``; return the count and the seconds until its window ends."""
        with self._lock:
            now = self._clock()
            self._purge(now)
            count, expires = self._live(key, now)
            if count == 0:
                expires = now + window_seconds
                self._entries.pop(key, None)  # re-insert at the end: insertion order is age
            self._entries[key] = (count + 1, expires)
            while len(self._entries) > self._max_keys:
                del self._entries[next(iter(self._entries))]  # the oldest window ends first
            return count + 1, expires - now

    def peek(self, key: str) -> tuple[int, float]:
        """Return the count of ``key`` and the seconds until its window ends."""
        with self._lock:
            now = self._clock()
            count, expires = self._live(key, now)
            return count, (expires - now) if count else 0.0

    def decr(self, key: str) -> None:
        """Subtract one from ``key`` if it is live (never below zero)."""
        with self._lock:
            count, expires = self._live(key, self._clock())
            if count:
                self._entries[key] = (count - 1, expires)

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._entries.pop(key, None)

    def _live(self, key: str, now: float) -> tuple[int, float]:
        """Return the entry of ``key``, or (0, 0.0) when absent or expired."""
        count, expires = self._entries.get(key, (0, 0.0))
        return (count, expires) if expires > now else (0, 0.0)

    def _purge(self, now: float) -> None:
        """Drop expired entries from the oldest end (cheap: they expire in insertion order)."""
        while self._entries:
            oldest = next(iter(self._entries))
            if self._entries[oldest][1] > now:
                return
            del self._entries[oldest]


# INCR, and on the first increment (or a key that somehow lost its TTL) start the window;
# one script so that no other worker sees a counter without its expiry.
_INCR_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


# DECR only a live counter above zero, keeping its TTL (DECR does not touch it).
_DECR_SCRIPT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


class RedisCounter:
    """Counters in Redis, shared by every worker and host; errors are redis.RedisError."""

    def __init__(self, redis_client: redis.Redis, prefix: str = "wisphub:verify-failures:") -> None:
        self._redis = redis_client
        self._prefix = prefix
        self._incr = redis_client.register_script(_INCR_SCRIPT)
        self._decr = redis_client.register_script(_DECR_SCRIPT)

    def incr(self, key: str, window_seconds: float) -> tuple[int, float]:
        """Add one to ``key``; return the count and the seconds until its window ends."""
        window_ms = max(1, math.ceil(window_seconds * 1000))
        count, ttl_ms = self._incr(keys=[self._prefix + key], args=[window_ms])
        return int(count), int(ttl_ms) / 1000

    def peek(self, key: str) -> tuple[int, float]:
        """Return the count of ``key`` and the seconds until its window ends."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(self._prefix + key)
        pipe.pttl(self._prefix + key)
        raw_count, ttl_ms = pipe.execute()
        if raw_count is None:
            return 0, 0.0
        return int(raw_count), max(int(ttl_ms), 0) / 1000

    def decr(self, key: str) -> None:
        """Subtract one from ``key`` if it is live (never below zero)."""
        self._decr(keys=[self._prefix + key])

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._redis.delete(self._prefix + key)
