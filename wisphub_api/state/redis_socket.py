"""Redis connections whose timeouts measure Redis' silence, not this worker's busy event loop.

A pool that had no connection free in time says so with its own error (``PoolExhausted``): it
means this worker has more callers than connections, not that Redis failed.

Under gevent a socket timeout is a timer on the event loop. When the loop is late (a burst of
hundreds of requests served from memory keeps it busy for longer than the timeout), the timer
and Redis' answer become due in the same pass, the timer is run first, and a call that Redis
answered in a millisecond raises a timeout: the breaker then opens and verification answers 503
for ``SHARED_STATE_RETRY_SECONDS``, as if Redis were down. So when a read or a connect times out,
the socket is asked once more, without waiting: an answer already there is taken; only a Redis
that truly said nothing for the whole timeout is a timeout.
"""

from __future__ import annotations

import queue
import socket
from typing import Any

import redis


def _connected(sock: socket.socket) -> bool:
    """Tell whether a connect that timed out has in fact completed."""
    try:
        sock.getpeername()
    except OSError:
        return False
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0


class LagTolerantSocket:
    """A connected socket whose reads look once more, without waiting, before timing out."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def recv(self, size: int, *flags: int) -> bytes:
        """Receive like ``socket.recv``; raise a timeout only if nothing has arrived."""
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            return self._without_waiting(lambda: self._sock.recv(size, *flags))

    def recv_into(self, buffer: Any, *args: int) -> int:
        """Receive like ``socket.recv_into``; raise a timeout only if nothing has arrived."""
        try:
            return self._sock.recv_into(buffer, *args)
        except TimeoutError:
            return self._without_waiting(lambda: self._sock.recv_into(buffer, *args))

    def _without_waiting(self, read: Any) -> Any:
        timeout = self._sock.gettimeout()
        self._sock.settimeout(0)  # non-blocking: returns what is there or raises at once
        try:
            return read()
        except BlockingIOError:
            raise TimeoutError("timed out") from None  # Redis really said nothing
        finally:
            self._sock.settimeout(timeout)


class LagTolerantConnection(redis.Connection):
    """``redis.Connection`` (TCP) on a ``LagTolerantSocket``."""

    def _connect(self) -> Any:
        error: OSError | None = None
        for family, kind, proto, _name, address in socket.getaddrinfo(
            self.host, self.port, self.socket_type, socket.SOCK_STREAM
        ):
            sock = socket.socket(family, kind, proto)
            try:
                self._connect_socket(sock, address)
            except OSError as exc:
                error = exc
                sock.close()
                continue
            return LagTolerantSocket(sock)
        raise error or OSError("socket.getaddrinfo returned an empty list")

    def _connect_socket(self, sock: socket.socket, address: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.socket_keepalive:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            for option, value in self.socket_keepalive_options.items():
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
        sock.settimeout(self.socket_connect_timeout)
        try:
            sock.connect(address)
        except TimeoutError:
            if not _connected(sock):
                raise
        sock.settimeout(self.socket_timeout)


class PoolExhausted(redis.ConnectionError):
    """No connection of the pool came free within its timeout (the worker is busy, not Redis)."""


class BlockingPool(redis.BlockingConnectionPool):
    """``redis.BlockingConnectionPool`` that raises ``PoolExhausted`` when its wait runs out."""

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Return a free connection, waiting up to the pool's timeout for one."""
        try:
            return super().get_connection(*args, **kwargs)
        except redis.ConnectionError as exc:
            if isinstance(exc.__context__, queue.Empty):  # the wait, not a connect, failed
                raise PoolExhausted(str(exc)) from None
            raise
