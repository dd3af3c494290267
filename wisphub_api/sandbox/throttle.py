"""The optional token bucket behind automatic 429s (the answer itself is `web.throttled`)."""

from __future__ import annotations

import math
import threading
import time


class TokenBucket:
    """Allow `rate` calls a second with bursts of `burst`; refuse the rest with a wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: float | None = None  # None: full, filled on first use
        self._stamp = time.monotonic()

    def take(self, rate: float, burst: int) -> int | None:
        """Spend one token; return None when allowed, else the whole seconds to wait."""
        if rate <= 0:
            return None
        with self._lock:
            now = time.monotonic()
            tokens = float(burst) if self._tokens is None else self._tokens
            tokens = min(float(burst), tokens + (now - self._stamp) * rate)
            self._stamp = now
            if tokens >= 1.0:
                self._tokens = tokens - 1.0
                return None
            self._tokens = tokens
            return max(1, math.ceil((1.0 - tokens) / rate))
