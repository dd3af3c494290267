"""A whole-dataset snapshot kept in the shared cache, decoded once per process and version.

The shared cache (flask-caching's backend: SimpleCache in one process, Redis across workers and
hosts) holds two things per snapshot name:

- ``<name>:meta`` — a tiny ``{"version", "fetched_at"}`` record read on every request;
- ``<name>:data:<version>`` — the payload, read (and unpickled) only when the version changes.

Each process keeps the decoded view (indexes, pre-serialised JSON) of the version it last saw, so
a request never downloads or unpickles the whole dataset. Loading from upstream is single-flight
within a process (one leader, the others wait on an event) and across processes (a lock taken
with the cache's atomic ``add``). A snapshot is refreshed in the background before its TTL ends;
when upstream fails the last good snapshot keeps serving, marked stale, up to ``stale_max_age``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from wisphub_api.services.breaker import CircuitBreaker
from wisphub_api.services.offload import offload
from wisphub_api.upstream.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable

logger = logging.getLogger("wisphub_api.cache")

V = TypeVar("V")

# How often a waiter polls the shared cache while another process loads the snapshot.
_POLL_SECONDS = 0.05
# Bounds of the background loop's period: often enough to refresh ahead of short test TTLs,
# rarely enough that a long TTL costs nothing.
MIN_LOOP_SECONDS = 0.05
MAX_LOOP_SECONDS = 5.0


@dataclass(frozen=True)
class CacheState:
    """How an answer was served: ``HIT`` (fresh), ``MISS`` (loaded now) or ``STALE``."""

    status: str
    age: float


@dataclass(frozen=True)
class _Local(Generic[V]):
    version: str
    fetched_at: float
    view: V


class SnapshotUnavailable(UpstreamUnavailable):
    """No snapshot can be served and upstream may not be asked now (circuit open)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("WispHub Net is failing; retry later")
        self.retry_after = retry_after


class SnapshotStore(Generic[V]):
    """Serve one dataset from the shared cache, loading it from upstream when needed."""

    def __init__(
        self,
        name: str,
        *,
        backend: Any,
        load: Callable[[], Any],
        build: Callable[[Any, float], V],
        ttl: float,
        stale_max_age: float,
        refresh_fraction: float,
        breaker: CircuitBreaker,
        wait_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._backend = backend
        self._load = load
        self._build = build
        self.ttl = ttl
        self.stale_max_age = stale_max_age
        self.refresh_after = ttl * refresh_fraction
        self.breaker = breaker
        self.wait_seconds = wait_seconds
        self._clock = clock
        self._local: _Local[V] | None = None
        self._flight_lock = threading.Lock()
        self._inflight: threading.Event | None = None
        self._adopt_lock = threading.Lock()
        self.last_error: str | None = None
        self.closed = False
        self._stopped = threading.Event()
        self._loop_thread: threading.Thread | None = None
        self.listeners: list[Callable[[str, str], None]] = []

    # -- keys -------------------------------------------------------------------------------
    @property
    def _meta_key(self) -> str:
        return f"{self.name}:meta"

    def _data_key(self, version: str) -> str:
        return f"{self.name}:data:{version}"

    @property
    def _lock_key(self) -> str:
        return f"{self.name}:lock"

    # -- reading ----------------------------------------------------------------------------
    def get(self) -> tuple[V, CacheState]:
        """Return the current view and how it was served; load it when there is none."""
        found = self._serve(load_when_cold=False)
        if found is not None:
            return found
        self._refresh(blocking=True)
        local = self._local
        if local is None:  # pragma: no cover - _refresh raises when it stores nothing
            raise UpstreamUnavailable("snapshot could not be loaded")
        return local.view, CacheState("MISS", self._clock() - local.fetched_at)

    def current(self) -> tuple[V, CacheState] | None:
        """Return the view now, or None when there is none; never waits for upstream.

        This is where refreshes are decided: a view old enough is refreshed ahead of its TTL,
        and a missing one starts loading, both in the background.
        """
        return self._serve(load_when_cold=True)

    def _serve(self, *, load_when_cold: bool) -> tuple[V, CacheState] | None:
        local = self._sync_from_shared()
        if local is None:
            self._emit("miss")
            if load_when_cold:
                self.refresh_in_background()
            return None
        age = self._clock() - local.fetched_at
        if age >= self.refresh_after:
            self.refresh_in_background()
        status = "HIT" if age <= self.ttl else "STALE"
        self._emit(status.lower())
        return local.view, CacheState(status, age)

    def peek(self) -> tuple[V, CacheState] | None:
        """Return the current view without any side effect, or None when there is none."""
        local = self._sync_from_shared()
        if local is None:
            return None
        age = self._clock() - local.fetched_at
        return local.view, CacheState("HIT" if age <= self.ttl else "STALE", age)

    def _usable(self, local: _Local[V] | None) -> _Local[V] | None:
        if local is None or self._clock() - local.fetched_at > self.stale_max_age:
            return None
        return local

    def _sync_from_shared(self) -> _Local[V] | None:
        """Adopt the shared version when it differs from ours; return the usable local copy."""
        meta = self._backend.get(self._meta_key)
        local = self._local
        if meta and (local is None or local.version != meta["version"]):
            self._adopt(meta, wait=local is None)
        return self._usable(self._local)

    def _adopt(self, meta: dict[str, Any], *, wait: bool) -> None:
        """Build the view of a shared version once per process.

        One caller builds; the others keep serving the view they have (or, with none, wait for
        the builder) instead of building the same view again.
        """
        if not self._adopt_lock.acquire(blocking=wait):
            return
        try:
            local = self._local
            if local is not None and local.version == meta["version"]:
                return  # built while we waited
            payload = self._backend.get(self._data_key(meta["version"]))
            if payload is not None:
                view = offload(self._build, payload, meta["fetched_at"])
                current = self._local
                if current is None or current.fetched_at <= meta["fetched_at"]:
                    self._local = _Local(meta["version"], meta["fetched_at"], view)
                self._emit("load_shared")
        finally:
            self._adopt_lock.release()

    # -- writing ----------------------------------------------------------------------------
    def replace(self, payload: Any) -> V:
        """Store ``payload`` as a new version (after a write upstream) and return its view."""
        fetched_at = self._local.fetched_at if self._local else self._clock()
        return self._store(payload, fetched_at).view

    def _store(self, payload: Any, fetched_at: float) -> _Local[V]:
        version = uuid.uuid4().hex
        # Build our view before publishing the version, so no reader of this process sees a
        # version it has no view for (and builds a second one).
        local = _Local(version, fetched_at, offload(self._build, payload, fetched_at))
        self._local = local
        timeout = int(self.stale_max_age + self.ttl)
        previous = self._backend.get(self._meta_key)
        self._backend.set(self._data_key(version), payload, timeout=timeout)
        self._backend.set(
            self._meta_key, {"version": version, "fetched_at": fetched_at}, timeout=timeout
        )
        if previous and previous["version"] != version:
            # Readers of the old version re-read the meta and find this one.
            self._backend.delete(self._data_key(previous["version"]))
        return local

    # -- refreshing -------------------------------------------------------------------------
    @property
    def refresh_interval(self) -> float:
        """Return how often the background loop looks: a few times within the refresh window."""
        return min(MAX_LOOP_SECONDS, max(MIN_LOOP_SECONDS, (self.ttl - self.refresh_after) / 4))

    def start(self) -> None:
        """Load the snapshot now and keep it fresh in a background thread, until ``stop``."""
        if self._loop_thread is None and not self.closed:
            self._loop_thread = threading.Thread(
                target=self._loop, name=f"snapshot-{self.name}", daemon=True
            )
            self._loop_thread.start()

    def stop(self) -> None:
        """Stop the background loop and refuse further background refreshes."""
        self.closed = True
        self._stopped.set()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self.refresh_if_due()
            except Exception:  # never let the refresher die; the next tick retries
                logger.exception("background refresh of %s crashed", self.name)
            self._stopped.wait(self.refresh_interval)

    def refresh_in_background(self) -> None:
        """Start a refresh unless one is running or the circuit is open."""
        if self.closed or self._inflight is not None or not self.breaker.allow():
            return
        threading.Thread(
            target=self._refresh_quietly, name=f"refresh-{self.name}", daemon=True
        ).start()

    def refresh_if_due(self) -> None:
        """Refresh when the snapshot is missing or old enough; used by the background loop."""
        local = self._sync_from_shared()
        due = local is None or self._clock() - local.fetched_at >= self.refresh_after
        if due and self.breaker.allow() and not self._fresh_in_shared():
            self._refresh_quietly()

    def _refresh_quietly(self) -> None:
        # Logged in _lead_refresh; the last good snapshot keeps serving.
        with contextlib.suppress(UpstreamError):
            self._refresh(blocking=False)

    def _refresh(self, *, blocking: bool) -> None:
        """Load once per process: the first caller leads, the others wait for its result."""
        with self._flight_lock:
            event = self._inflight
            leader = event is None
            if leader:
                event = self._inflight = threading.Event()
        assert event is not None
        if not leader:
            if blocking:
                self._wait_for(event)
            return
        try:
            self._lead_refresh(blocking=blocking)
        finally:
            with self._flight_lock:
                self._inflight = None
            event.set()

    def _wait_for(self, event: threading.Event) -> None:
        if not event.wait(self.wait_seconds):
            raise UpstreamTimeout("timed out waiting for the snapshot")
        if self._usable(self._local) is None:
            raise UpstreamUnavailable(self.last_error or "snapshot could not be loaded")

    def _lead_refresh(self, *, blocking: bool) -> None:
        if not self.breaker.allow():
            raise SnapshotUnavailable(self.breaker.retry_after())
        token = uuid.uuid4().hex
        if not self._backend.add(self._lock_key, token, timeout=int(self.wait_seconds) + 1):
            if blocking:
                self._wait_for_other_process()
            return
        try:
            if self._fresh_in_shared():
                self._sync_from_shared()  # adopt it (and wait for the view when we have none)
                return
            self._fetch_and_store()
        finally:
            if self._backend.get(self._lock_key) == token:
                self._backend.delete(self._lock_key)

    def _fresh_in_shared(self) -> bool:
        """Return whether another process stored a fresh snapshot since we decided to load.

        Judged by the shared meta record, not by our view: our view of the new version may
        still be building in another greenlet.
        """
        meta = self._backend.get(self._meta_key)
        return meta is not None and self._clock() - meta["fetched_at"] < self.refresh_after

    def _fetch_and_store(self) -> None:
        started = time.monotonic()
        try:
            payload = self._load()
        except UpstreamError as exc:
            self.breaker.record_failure()
            self.last_error = type(exc).__name__
            self._emit("refresh_error")
            logger.warning(
                "refresh of %s failed: %s (breaker %s)",
                self.name,
                type(exc).__name__,
                self.breaker.state,
            )
            raise
        self.breaker.record_success()
        self.last_error = None
        self._store(payload, self._clock())
        self._emit("refresh_ok")
        logger.info("refreshed %s in %.0f ms", self.name, (time.monotonic() - started) * 1000)

    def _wait_for_other_process(self) -> None:
        """Wait until the process holding the lock stores a snapshot, or the budget ends."""
        deadline = time.monotonic() + self.wait_seconds
        while time.monotonic() < deadline:
            local = self._sync_from_shared()
            if local is not None and self._clock() - local.fetched_at < self.refresh_after:
                return
            if self._backend.get(self._lock_key) is None:
                break  # the other process gave up (it failed): so do we
            time.sleep(_POLL_SECONDS)
        if self._usable(self._local) is None:
            raise UpstreamTimeout("timed out waiting for another worker's snapshot")

    # -- reporting --------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Describe the snapshot for the readiness answer."""
        local = self._sync_from_shared()
        age = None if local is None else round(self._clock() - local.fetched_at, 3)
        return {
            "warm": local is not None,
            "age_seconds": age,
            "fresh": age is not None and age <= self.ttl,
            "ttl_seconds": self.ttl,
            "circuit": self.breaker.state,
            "last_error": self.last_error,
        }

    def age(self) -> float | None:
        """Return the age of the local snapshot in seconds, or None when there is none."""
        local = self._local
        return None if local is None else self._clock() - local.fetched_at

    def _emit(self, event: str) -> None:
        for listener in self.listeners:
            listener(self.name, event)
