"""Writes every worker must see at once: an append-only log in the shared store, followed.

A service that writes upstream (a profile update, a ticket, a payment promise) appends what it
wrote to a named log. The writer applies the entry to its own memory immediately; every other
worker (and host, with Redis) learns it within ``STATE_POLL_SECONDS`` from ``WriteFollower``,
which reads the entries after the last sequence number it saw. Readers lay these entries over
their cached data until a refresh newer than the write arrives, so a refresh that started before
a write never hides it.

The log holds small JSON records; it is never on the read path of a request.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.state.guard import Guarded

logger = logging.getLogger("wisphub_api.writes")

Entry = dict[str, Any]
Subscriber = Callable[[list[Entry]], None]


class WriteLog:
    """One named log of writes, appended by the writers and delivered to ``subscribers``."""

    def __init__(self, store: Guarded, name: str, *, retention: float, cap: int) -> None:
        self.store = store
        self.name = name
        self.retention = retention
        self.cap = cap
        self.subscribers: list[Subscriber] = []
        self._seen = 0  # the last sequence number read back from the store
        self._applied: set[int] = set()  # our own appends, applied before being read back
        self._lock = threading.Lock()

    def append(self, entry: Entry) -> int:
        """Record ``entry`` for every worker, apply it here at once; return its sequence number.

        Raises ``SharedStateUnavailable`` when the log cannot be written: the caller must not
        report the write as visible everywhere (it refuses it before going upstream, or says so).
        """
        data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
        seq = self.store.append(self.name, data, retention=self.retention, cap=self.cap)
        with self._lock:
            # Applied here now; the poll that reads it back skips it. The poll position does
            # not move: other workers may have appended entries before ours that we have not
            # read yet.
            self._applied.add(seq)
        self._hand_over([entry])
        return seq

    def poll(self) -> bool:
        """Read the entries other workers appended since the last poll; False when unreachable."""
        try:
            rows = self.store.read_since(self.name, self._seen)
        except SharedStateUnavailable:
            return False
        fresh: list[Entry] = []
        with self._lock:
            for seq, data in rows:
                if seq <= self._seen:
                    continue
                self._seen = seq
                if seq in self._applied:
                    self._applied.discard(seq)
                    continue
                try:
                    fresh.append(json.loads(data))
                except ValueError:  # a foreign or corrupt record must not stop the others
                    logger.warning("skipped an unreadable entry of write log %s", self.name)
        self._hand_over(fresh)
        return True

    def _hand_over(self, entries: list[Entry]) -> None:
        """Give entries to every subscriber, in order."""
        if entries:
            for subscriber in self.subscribers:
                subscriber(entries)


class WriteFollower:
    """Poll every log of an app in the background, so that each worker sees the others' writes."""

    def __init__(self, logs: list[WriteLog], *, interval: float, retention: float) -> None:
        self.logs = logs
        self.interval = interval
        self.retention = retention  # how long the entries of the logs it follows are kept
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> None:
        """Read every log once."""
        for log in self.logs:
            log.poll()

    def start(self) -> None:
        """Start polling (a greenlet under gevent, a thread otherwise)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="write-follower", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.poll()
            except Exception:  # never let the follower die; the next tick retries
                logger.exception("following the write logs failed")
            self._stopped.wait(self.interval)
