"""Reach a shared store through a breaker: one timeout per interval, one log line per change."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import redis

from wisphub_api.state.base import SharedStateUnavailable, SharedStore
from wisphub_api.state.redis_socket import PoolExhausted

logger = logging.getLogger("wisphub_api.state")

T = TypeVar("T")

# What a failing store raises: Redis' errors, SQLite's, and the OS's (a full or read-only disk).
STORE_ERRORS: tuple[type[Exception], ...] = (redis.RedisError, sqlite3.Error, OSError)


class Guarded:
    """A ``SharedStore`` whose failures open a breaker instead of reaching every request.

    Closed: calls go through. A failure opens it for ``retry_seconds``: calls fail at once with
    ``SharedStateUnavailable``. Then exactly one call probes; its success closes the breaker,
    its failure opens it again. Each change of state is logged once.
    """

    def __init__(
        self,
        store: SharedStore,
        *,
        retry_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.kind = store.kind
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._failed = False
        self._probing = False
        self.last_error: str | None = None

    def close(self) -> None:
        """Close the store's connections (shutdown, tests)."""
        self.store.close()

    @property
    def healthy(self) -> bool:
        """Tell whether the last call succeeded (readiness reports it)."""
        return not self._failed

    def call(self, operation: Callable[[SharedStore], T]) -> T:
        """Run ``operation`` on the store, or raise ``SharedStateUnavailable``."""
        probe = self._admit()
        try:
            result = operation(self.store)
        except PoolExhausted:
            # This worker had more callers than connections for a while: Redis did not fail,
            # so the breaker stays as it was and only this call is refused.
            self._release_probe(probe)
            raise SharedStateUnavailable(self.retry_seconds) from None
        except STORE_ERRORS as exc:
            self._record_failure(exc, probe)
            raise SharedStateUnavailable(self.retry_seconds) from None
        self._record_success(probe)
        return result

    def _admit(self) -> bool:
        """Let a call through (True when it is the one probe of an open breaker) or refuse it."""
        with self._lock:
            if not self._failed:
                return False
            now = self._clock()
            if self._probing or now < self._open_until:
                raise SharedStateUnavailable(max(0.0, self._open_until - now) or self.retry_seconds)
            self._probing = True
            return True

    def _release_probe(self, probe: bool) -> None:
        if probe:
            with self._lock:
                self._probing = False

    def _record_failure(self, exc: Exception, probe: bool) -> None:
        with self._lock:
            was_failed = self._failed
            self._failed, self._probing = True, False
            self._open_until = self._clock() + self.retry_seconds
            self.last_error = type(exc).__name__
        if not was_failed:
            logger.warning(
                "shared state (%s) unavailable: %s; retrying every %g s",
                self.kind,
                type(exc).__name__,
                self.retry_seconds,
            )

    def _record_success(self, probe: bool) -> None:
        if not self._failed:
            return
        with self._lock:
            recovered, self._failed, self._probing = self._failed, False, False
            self.last_error = None
        if recovered:
            logger.warning("shared state (%s) available again", self.kind)

    # The SharedStore protocol, each method through the breaker.
    def ping(self) -> None:
        """Raise ``SharedStateUnavailable`` unless the store answers."""
        self.call(lambda store: store.ping())

    def get(self, key: str) -> bytes | None:
        """Return the value of a live ``key``, or None."""
        return self.call(lambda store: store.get(key))

    def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""
        self.call(lambda store: store.set(key, value, ttl))

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Store ``value`` only if ``key`` is absent; return whether it was stored."""
        return self.call(lambda store: store.add(key, value, ttl))

    def delete(self, key: str, *, only_if: bytes | None = None) -> None:
        """Forget ``key`` (only while it holds ``only_if``, when given)."""
        self.call(lambda store: store.delete(key, only_if=only_if))

    def limit_attempt(
        self, keys: Sequence[str], limits: Sequence[int], window: float, failed: bool
    ) -> float:
        """Decide one attempt against several failure counters atomically."""
        return self.call(lambda store: store.limit_attempt(keys, limits, window, failed))

    def append(self, log: str, entry: bytes, *, retention: float, cap: int) -> int:
        """Append ``entry`` to ``log``; return its sequence number."""
        return self.call(lambda store: store.append(log, entry, retention=retention, cap=cap))

    def read_since(self, log: str, seq: int) -> list[tuple[int, bytes]]:
        """Return the entries of ``log`` after ``seq``, oldest first."""
        return self.call(lambda store: store.read_since(log, seq))
