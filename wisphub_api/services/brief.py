"""Data read on demand and kept briefly: single-flight loads, stale answers while WispHub fails.

For what is read per question rather than as a whole snapshot (a client's invoices, the open
tickets of the ISP): the first asker loads it, concurrent askers of the same key wait for that
one load, the answer is fresh for ``ttl`` seconds, and while WispHub fails a stored answer keeps
serving, marked ``STALE``, for up to ``stale_max_age`` seconds. Entries live in the app's cache
backend (flask-caching: one worker's memory, or Redis behind its breaker); a failed load is never
stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from wisphub_api.services.snapshots import CacheState
from wisphub_api.upstream.errors import UpstreamError, UpstreamTimeout

V = TypeVar("V")


class _Flight:
    """One load in progress: the askers wait for it, then read its error if it failed."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: UpstreamError | None = None


class BriefCache(Generic[V]):
    """One kind of on-demand data, cached per key."""

    def __init__(
        self,
        backend: Any,
        name: str,
        *,
        ttl: float,
        stale_max_age: float,
        wait_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._backend = backend
        self.name = name
        self.ttl = ttl
        self.stale_max_age = stale_max_age
        self.wait_seconds = wait_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    def _key(self, key: str) -> str:
        return f"brief:{self.name}:{key}"

    def get(self, key: str, load: Callable[[], V]) -> tuple[V, CacheState]:
        """Return the value of ``key``: cached when fresh, else loaded once for every asker."""
        entry = self._entry(key)
        if entry is not None and entry[1] < self.ttl:
            return entry[0], CacheState("HIT", entry[1])
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            return self._follow(key, flight)
        try:
            value = load()
        except UpstreamError as exc:
            flight.error = exc
            if entry is not None:
                return entry[0], CacheState("STALE", entry[1])
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()
        self.put(key, value)
        return value, CacheState("MISS", 0.0)

    def _follow(self, key: str, flight: _Flight) -> tuple[V, CacheState]:
        """Wait for another asker's load of ``key`` and answer from its outcome."""
        if not flight.done.wait(self.wait_seconds):
            raise UpstreamTimeout("timed out waiting for another request's load")
        entry = self._entry(key)
        if entry is not None:
            return entry[0], CacheState("HIT" if entry[1] < self.ttl else "STALE", entry[1])
        raise flight.error or UpstreamTimeout("another request's load stored nothing")

    def put(self, key: str, value: V) -> None:
        """Store ``value`` as the fresh answer for ``key`` (after a load, or after a write)."""
        record = {"value": value, "fetched_at": self._clock()}
        self._backend.set(self._key(key), record, timeout=int(self.stale_max_age) + 1)

    def forget(self, key: str) -> None:
        """Drop ``key``: the next ``get`` loads it again."""
        self._backend.delete(self._key(key))

    def _entry(self, key: str) -> tuple[V, float] | None:
        """Return (value, age) of a usable stored entry, or None."""
        record = self._backend.get(self._key(key))
        if not isinstance(record, dict) or "fetched_at" not in record:
            return None
        age = max(0.0, self._clock() - float(record["fetched_at"]))
        if age > self.stale_max_age:
            return None
        return record["value"], age
