"""The open connections of one worker, and the idle ones to close when it runs short."""

from __future__ import annotations

import contextlib
import socket
from typing import Any


class ConnectionTable:
    """Count a worker's connections; close the oldest idle ones to keep ``reserve`` slots free.

    A connection is idle while it waits for a request: a keep-alive connection between requests,
    or a new one that has not sent its headers yet. Closing one then loses nothing (HTTP lets a
    server close an idle connection; clients retry), so a flood of idle connections makes room for
    new ones instead of filling every slot until their timeouts end, as nginx does with its
    reusable connections.
    """

    def __init__(self, capacity: int, reserve: int) -> None:
        self.capacity = capacity
        self.reserve = max(1, min(reserve, capacity - 1)) if capacity > 1 else 0
        self.open = 0
        self.closed_idle = 0
        self._idle: dict[int, Any] = {}  # insertion order: the oldest idle first

    def opened(self) -> None:
        """Count a new connection and make room if the worker is near its limit."""
        self.open += 1
        excess = self.open - (self.capacity - self.reserve)
        while excess > 0 and self._idle:
            key = next(iter(self._idle))
            self._close(self._idle.pop(key))
            excess -= 1

    def idle(self, sock: Any) -> None:
        """Mark a connection idle (waiting for a request): the newest one idle."""
        self._idle.pop(id(sock), None)
        self._idle[id(sock)] = sock

    def busy(self, sock: Any) -> None:
        """Mark a connection busy (a request is being served): never closed from here."""
        self._idle.pop(id(sock), None)

    def closed(self, sock: Any) -> None:
        """Forget a connection that is closing."""
        self._idle.pop(id(sock), None)
        self.open -= 1

    def close_idle(self) -> None:
        """Close every idle connection (the worker is stopping)."""
        while self._idle:
            key = next(iter(self._idle))
            self._close(self._idle.pop(key))

    @property
    def idle_count(self) -> int:
        """Return how many connections wait for a request."""
        return len(self._idle)

    def _close(self, sock: Any) -> None:
        # shutdown, not close: the greenlet reading it wakes with end-of-file and closes it.
        with contextlib.suppress(OSError):  # already gone
            sock.shutdown(socket.SHUT_RDWR)
        self.closed_idle += 1
