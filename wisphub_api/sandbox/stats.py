"""Count of the `/api/` calls the sandbox served, for `GET /__stats`."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

DROPPED = "dropped"  # by_status key of calls answered by closing the connection


class Stats:
    """Count calls by path, by page (list endpoints) and by final status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every call counted so far."""
        with self._lock:
            self.total = 0
            self.by_path: Counter[str] = Counter()
            self.by_page: Counter[str] = Counter()
            self.by_status: Counter[str] = Counter()

    def arrive(self, path: str, page: str | None) -> None:
        """Count a call when it arrives, so stalled and dropped calls are counted too."""
        with self._lock:
            self.total += 1
            self.by_path[path] += 1
            if page is not None:
                self.by_page[page] += 1

    def finish(self, status: int | str) -> None:
        """Count the status a call ended with."""
        with self._lock:
            self.by_status[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as the `/__stats` body."""
        with self._lock:
            return {
                "total": self.total,
                "by_path": dict(self.by_path),
                "by_page": dict(self.by_page),
                "by_status": dict(self.by_status),
            }
