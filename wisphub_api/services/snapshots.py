"""A dataset's snapshot as one worker serves it: adopted from the host's disk, refreshed ahead.

A request reads only this process's memory. A background loop (a greenlet under gevent) looks
at the dataset's pointer on disk every ``refresh_interval``; when it names a snapshot this process
does not serve yet, the process loads it in a few cooperative steps and swaps it in. When the
snapshot is due for refresh (``refresh_after`` = TTL * REFRESH_AHEAD_FRACTION) the first process
of the host to take the build lock runs the builder (``services.builder``); the others keep
serving and adopt its result. So a host does one refresh's CPU work, and a request never waits
for WispHub once any snapshot exists:

- a snapshot older than the TTL is still served, marked ``STALE``, up to ``stale_max_age``;
- after failed builds the next attempt waits (exponential backoff, the circuit is "open");
- a restart serves the last snapshot on disk at once (``STALE`` with its age when old).

With no snapshot at all (a first start), ``get`` starts a build and waits up to ``cold_wait``
for it; past that the answer is ``SnapshotLoading`` (503 with Retry-After), never a minute-long
wait. The time a snapshot was read from WispHub is kept with it, so ages are honest everywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from wisphub_api.services.artifact import (
    ArtifactPaths,
    BuildStatus,
    Pointer,
    Sections,
    build_lock,
    read_pointer,
    read_snapshot,
    read_status,
)
from wisphub_api.services.memory import release_free_memory
from wisphub_api.upstream import errors as upstream_errors
from wisphub_api.upstream.errors import UpstreamError, UpstreamUnavailable

logger = logging.getLogger("wisphub_api.cache")

V = TypeVar("V")

# Bounds of the background loop's period (a fraction of the refresh window in between).
MIN_LOOP_SECONDS = 0.05
MAX_LOOP_SECONDS = 1.0
# How often a cold request that waits looks for the snapshot another process is building.
_COLD_POLL_SECONDS = 0.05


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
    source: str


class SnapshotUnavailable(UpstreamUnavailable):
    """No snapshot can be served and WispHub may not be asked now (circuit open)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("WispHub Net is failing; retry later", sent=False)
        self.retry_after = retry_after


class SnapshotLoading(UpstreamUnavailable):
    """No snapshot yet: the first one is being read from WispHub; retry shortly."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("the data is still being loaded from WispHub Net", sent=False)
        self.retry_after = retry_after


# Runs the dataset's builder while the caller holds the host's build lock (its descriptor).
BuildRunner = Callable[[int], None]
Loader = Callable[[Sections, Callable[[], None]], Any]


def _error_named(name: str | None) -> UpstreamError:
    """Return an instance of the upstream error a build recorded (by class name)."""
    message = "the last attempt to read WispHub Net failed"
    kind = getattr(upstream_errors, name or "", None)
    if isinstance(kind, type) and issubclass(kind, UpstreamError):
        try:
            return kind(message)
        except TypeError:  # an error that needs more than a message (UpstreamRateLimited)
            pass
    return UpstreamUnavailable(message)


class SnapshotStore(Generic[V]):
    """Serve one dataset from memory, adopting and refreshing it as the module describes."""

    def __init__(
        self,
        name: str,
        *,
        paths: ArtifactPaths,
        load: Loader,
        run_build: BuildRunner,
        ttl: float,
        stale_max_age: float,
        refresh_fraction: float,
        cold_wait: float,
        failure_threshold: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.paths = paths
        self._load = load
        self._run_build = run_build
        self.ttl = ttl
        self.stale_max_age = stale_max_age
        self.refresh_after = ttl * refresh_fraction
        self.cold_wait = cold_wait
        self.failure_threshold = max(1, failure_threshold)
        self._clock = clock
        self._local: _Local[V] | None = None
        self._stamp: tuple[int, int] | None = None
        self._adopt_lock = threading.Lock()
        self._build_lock = threading.Lock()  # one build attempt at a time in this process
        self._stopped = threading.Event()
        self._loop_thread: threading.Thread | None = None
        self.closed = False
        self.listeners: list[Callable[[str, str], None]] = []

    # -- reading ----------------------------------------------------------------------------
    def get(self) -> tuple[V, CacheState]:
        """Return the view and how it was served; with none, build one and wait a while."""
        found = self._serve(load_when_cold=False)
        if found is not None:
            return found
        local = self._adopt_if_changed(wait=True)  # another process may have built one
        if local is not None:
            return local.view, CacheState("HIT", self._clock() - local.fetched_at)
        self._emit("miss")
        before = read_status(self.paths)
        if before.next_attempt > self._clock():  # backing off: WispHub is not asked now
            raise SnapshotUnavailable(before.next_attempt - self._clock())
        self.refresh_in_background()
        deadline = time.monotonic() + self.cold_wait
        while time.monotonic() < deadline:
            local = self._adopt_if_changed()
            if local is not None:
                return local.view, CacheState("MISS", self._clock() - local.fetched_at)
            status = read_status(self.paths)
            if status != before and status.failures:
                raise self._cold_error(status)  # the attempt we waited for failed
            time.sleep(_COLD_POLL_SECONDS)
        raise SnapshotLoading(retry_after=max(1.0, self.cold_wait))

    def ready(self) -> tuple[V, CacheState] | None:
        """Return what ``get`` returns when a view is usable now (the same events), else None.

        With none usable nothing happens: the caller asks ``get``, which loads or waits.
        """
        return self._serve(load_when_cold=False)

    def current(self) -> tuple[V, CacheState] | None:
        """Return the view now, or None when there is none; never waits for WispHub.

        This is where refreshes are decided: a view old enough is refreshed ahead of its TTL,
        and a missing one starts loading, both in the background.
        """
        return self._serve(load_when_cold=True)

    def peek(self) -> tuple[V, CacheState] | None:
        """Return the current view without any side effect, or None when there is none."""
        local = self._usable()
        if local is None:
            return None
        age = self._clock() - local.fetched_at
        return local.view, CacheState("HIT" if age <= self.ttl else "STALE", age)

    def _serve(self, *, load_when_cold: bool) -> tuple[V, CacheState] | None:
        local = self._usable()
        if local is None:
            if load_when_cold:
                self._emit("miss")
                self.refresh_in_background()
            return None
        age = self._clock() - local.fetched_at
        if age >= self.refresh_after:
            self.refresh_in_background()
        status = "HIT" if age <= self.ttl else "STALE"
        self._emit(status.lower())
        return local.view, CacheState(status, age)

    def _usable(self) -> _Local[V] | None:
        local = self._local
        if local is None or self._clock() - local.fetched_at > self.stale_max_age:
            return None
        return local

    def _cold_error(self, status: BuildStatus) -> UpstreamError:
        if status.next_attempt > self._clock():
            return SnapshotUnavailable(status.next_attempt - self._clock())
        return _error_named(status.last_error)

    # -- adopting ---------------------------------------------------------------------------
    def open(self) -> None:
        """Serve the last snapshot on disk at once, if there is one (a warm restart)."""
        self._adopt_if_changed(pause=lambda: None)

    def _adopt_if_changed(
        self, pause: Callable[[], None] | None = None, *, wait: bool = False
    ) -> _Local[V] | None:
        """Adopt the snapshot the pointer names if it is not ours; return the usable one.

        Only one caller adopts; the others serve what there is meanwhile (``wait``: they wait
        for that adoption instead).
        """
        stamp = self.paths.pointer_stamp()
        if stamp is None or stamp == self._stamp:
            return self._usable()
        if not self._adopt_lock.acquire(blocking=wait):
            return self._usable()  # another greenlet of ours is adopting it
        try:
            pointer = read_pointer(self.paths)
            # Compared through ``self._local``, never kept in a variable here: this frame
            # would hold the old view through ``_adopt``, whose memory it hands back.
            if pointer is not None and pointer.version != self._version():
                self._adopt(pointer, pause or _yield)
            self._stamp = stamp
        finally:
            self._adopt_lock.release()
        return self._usable()

    def _version(self) -> str | None:
        local = self._local
        return None if local is None else local.version

    def _adopt(self, pointer: Pointer, pause: Callable[[], None]) -> None:
        artifact = read_snapshot(self.paths, pointer)
        if artifact is None:
            logger.warning(
                "snapshot %s of %s is unreadable; kept the current one", pointer.file, self.name
            )
            return
        pause()
        view = self._load(artifact.sections, pause)
        del artifact  # the file's bytes: the view holds copies of what it keeps
        current = self._local
        if current is None or current.fetched_at <= pointer.fetched_at:
            self._local = _Local(pointer.version, pointer.fetched_at, view, pointer.source)
            self._emit("load_shared")
        del current, view
        # The old view (and the file's bytes) are garbage now: hand their pages back, or the
        # worker's RSS keeps the high-water mark of every adoption.
        release_free_memory()

    # -- refreshing -------------------------------------------------------------------------
    @property
    def refresh_interval(self) -> float:
        """Return how often the background loop looks: a few times within the refresh window."""
        return min(MAX_LOOP_SECONDS, max(MIN_LOOP_SECONDS, (self.ttl - self.refresh_after) / 4))

    def start(self) -> None:
        """Keep the snapshot adopted and fresh in a background loop, until ``stop``."""
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
                self.tick()
            except Exception:  # never let the loop die; the next tick retries
                logger.exception("background refresh of %s crashed", self.name)
            self._stopped.wait(self.refresh_interval)

    def tick(self) -> None:
        """Adopt a newer snapshot of the host, and build one when it is due (once per host)."""
        self._adopt_if_changed()
        if self._due():
            self._build_if_free()

    def refresh_in_background(self) -> None:
        """Start a build attempt in a thread, unless one runs here or none is due."""
        if self.closed or self._build_lock.locked() or not self._due():
            return
        threading.Thread(target=self.tick, name=f"refresh-{self.name}", daemon=True).start()

    def _due(self) -> bool:
        status = read_status(self.paths)
        if status.next_attempt > self._clock():
            return False  # backing off after failed builds
        local = self._usable()
        return local is None or self._clock() - local.fetched_at >= self.refresh_after

    def _build_if_free(self) -> None:
        """Build now if no other thread or process of the host is building; then adopt."""
        if not self._build_lock.acquire(blocking=False):
            return
        try:
            with build_lock(self.paths) as held:
                if held is None:
                    return  # another process of the host builds: we adopt its result
                # It may have finished just before we took the lock.
                self._adopt_if_changed(wait=True)
                if not self._due():
                    return
                self._run_build(held)
            if self._adopt_if_changed() is not None:
                failed = read_status(self.paths).failures
                self._emit("refresh_error" if failed else "refresh_ok")
            else:
                self._emit("refresh_error")
        finally:
            self._build_lock.release()

    # -- reporting --------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Describe this worker's snapshot for the readiness answer."""
        local = self._usable()
        build = read_status(self.paths)
        age = None if local is None else round(self._clock() - local.fetched_at, 3)
        return {
            "warm": local is not None,
            "age_seconds": age,
            "fresh": age is not None and age <= self.ttl,
            "ttl_seconds": self.ttl,
            "source": None if local is None else local.source,
            "circuit": self._circuit(build),
            "last_error": build.last_error,
        }

    def _circuit(self, build: BuildStatus) -> str:
        if build.failures < self.failure_threshold:
            return "closed"
        return "open" if build.next_attempt > self._clock() else "half-open"

    def age(self) -> float | None:
        """Return the age of this worker's snapshot in seconds, or None when there is none."""
        local = self._local
        return None if local is None else self._clock() - local.fetched_at

    def _emit(self, event: str) -> None:
        for listener in self.listeners:
            listener(self.name, event)


def _yield() -> None:
    """Let other greenlets run between the steps of loading a snapshot (gevent patches sleep)."""
    time.sleep(0)
