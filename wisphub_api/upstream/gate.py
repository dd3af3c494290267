"""Honour WispHub's 429: no call at all until its Retry-After has passed.

urllib3 would sleep through a 429's Retry-After and try again, holding the caller and adding a
call per retry; every other greenlet would meanwhile send its own call and get its own 429. The
gate instead remembers until when WispHub asked for quiet, and refuses every call of this process
before then at once (nothing is sent), so one 429 costs one call, not a storm.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

from .errors import UpstreamRateLimited

# Without a usable Retry-After, wait this long: long enough to matter, short enough to recover.
DEFAULT_RETRY_AFTER = 30.0
# Never pause longer than this on one answer's word (a mistaken "Retry-After: 86400").
MAX_RETRY_AFTER = 300.0


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float:
    """Return the seconds a Retry-After header asks for (a number or an HTTP date), bounded."""
    if not value:
        return DEFAULT_RETRY_AFTER
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER
    return min(MAX_RETRY_AFTER, max(1.0, seconds))


class RateGate:
    """Refuse calls while an earlier 429's Retry-After runs."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._quiet_until = 0.0

    def check(self, where: str) -> None:
        """Raise ``UpstreamRateLimited`` (nothing sent) while WispHub asked for quiet."""
        remaining = self._quiet_until - self._clock()
        if remaining > 0:
            raise UpstreamRateLimited(
                f"WispHub Net asked to slow down; {where} not sent",
                retry_after=remaining,
                status=None,
                sent=False,
            )

    def pause(self, seconds: float) -> None:
        """Stay quiet for ``seconds`` (a 429 answered)."""
        with self._lock:
            self._quiet_until = max(self._quiet_until, self._clock() + seconds)

    def remaining(self) -> float:
        """Return the seconds of quiet left (0 when calls may go)."""
        return max(0.0, self._quiet_until - self._clock())
