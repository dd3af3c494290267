"""A small circuit breaker: stop calling an upstream that keeps failing, probe it now and then."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

# Longest pause between probes of a dead upstream: long enough to stop hammering it, short
# enough that service comes back within minutes of WispHub recovering.
MAX_OPEN_SECONDS = 300.0


class CircuitBreaker:
    """Count consecutive failures; after ``threshold`` of them, refuse calls for a while."""

    def __init__(
        self,
        *,
        threshold: int = 3,
        reset_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = max(1, threshold)
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0

    @property
    def failures(self) -> int:
        """Return the number of consecutive failures seen."""
        return self._failures

    def allow(self) -> bool:
        """Return whether a call may go upstream now (closed, or open long enough to probe)."""
        return self._clock() >= self._open_until

    def retry_after(self) -> float:
        """Return the seconds until the next probe is allowed (0 when closed)."""
        return max(0.0, self._open_until - self._clock())

    @property
    def state(self) -> str:
        """Return ``closed``, ``open`` or ``half-open`` (open but due for a probe)."""
        if self._failures < self.threshold:
            return "closed"
        return "half-open" if self.allow() else "open"

    def record_success(self) -> None:
        """Close the circuit."""
        with self._lock:
            self._failures = 0
            self._open_until = 0.0

    def record_failure(self) -> None:
        """Count a failure; open (again) with exponential backoff and jitter past the threshold."""
        with self._lock:
            self._failures += 1
            over = self._failures - self.threshold
            if over >= 0:
                pause = min(MAX_OPEN_SECONDS, self.reset_seconds * (2 ** min(over, 16)))
                pause *= random.uniform(0.8, 1.0)  # spread the probes of many workers
                self._open_until = self._clock() + pause
