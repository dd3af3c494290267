"""The protocol of a shared store, and the error callers see when it cannot be reached."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class SharedStateUnavailable(Exception):
    """The shared store did not answer (down, hung, or its breaker is open)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("the shared state store is unavailable")
        self.retry_after = retry_after


class SharedStore(Protocol):
    """Small shared records with expiry, counters for a failure limiter, and append-only logs.

    Every method may raise the backend's own error (``redis.RedisError``, ``sqlite3.Error``,
    ``OSError``); ``guard.Guarded`` turns those into ``SharedStateUnavailable``.
    """

    kind: str  # "redis" or "local": named in readiness answers and logs

    def ping(self) -> None:
        """Raise unless the store answers."""

    def close(self) -> None:
        """Close the store's connections."""

    def get(self, key: str) -> bytes | None:
        """Return the value of a live ``key``, or None."""

    def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Store ``value`` only if ``key`` is absent (or expired); return whether it was stored."""

    def delete(self, key: str, *, only_if: bytes | None = None) -> None:
        """Forget ``key`` (only while it still holds ``only_if``, when given: a lock's token)."""

    def limit_attempt(
        self, keys: Sequence[str], limits: Sequence[int], window: float, failed: bool
    ) -> float:
        """Decide one attempt against several failure counters, atomically.

        When any counter is live and at its limit, return the seconds until the latest of those
        windows ends and change nothing: a refused attempt neither counts nor extends a window.
        Otherwise, when ``failed``, add one to every counter (a counter's window starts at its
        first failure and is never extended), and return 0.
        """

    def append(self, log: str, entry: bytes, *, retention: float, cap: int) -> int:
        """Append ``entry`` to ``log`` and return its sequence number (increasing per log).

        Entries live at least ``retention`` seconds after they were written, and at most the
        newest ``cap`` entries are kept.
        """

    def read_since(self, log: str, seq: int) -> list[tuple[int, bytes]]:
        """Return the entries of ``log`` after sequence number ``seq``, oldest first."""
