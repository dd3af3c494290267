"""A burst: many HTTP requests in flight at once, each on a fresh loopback connection.

One thread, non-blocking sockets and epoll, in three steps: open every connection, wait until all
are established, then write every request in one tight loop and read every answer (each request
says ``Connection: close``, so an answer ends where its connection does). The server thus holds
all of them at the same time: threads or a pool would send them as fast as the GIL lets each one
go, and the first answers would be out before the last requests were in.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import io
import select
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

CONNECT_WAIT_S = 10.0
READ_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Request:
    """One request of a burst."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw: bytes | None = None  # bytes sent as they are instead (malformed requests)

    def wire(self) -> bytes:
        """Return the request as bytes on the wire (HTTP/1.1, one request, then close)."""
        if self.raw is not None:
            return self.raw
        head = [f"{self.method} {self.path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        head += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method in {"POST", "PUT", "PATCH"}:
            head.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass(frozen=True, slots=True)
class Reply:
    """What came back for one request: a status and body, or why there was none."""

    status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # "refused", "timeout", "reset", "unparsable", ...


class _Bytes:
    """A socket stand-in that http.client can parse a finished answer from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, *_args: Any, **_kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self._data))  # type: ignore[arg-type]


def parse(data: bytes) -> Reply:
    """Parse one whole HTTP answer (Content-Length or chunked)."""
    if not data:
        return Reply(None, error="closed without an answer")
    response = http.client.HTTPResponse(_Bytes(data))  # type: ignore[arg-type]
    try:
        response.begin()
        body = response.read()
    except (http.client.HTTPException, ValueError):
        return Reply(None, error="unparsable")
    return Reply(response.status, body, {k.lower(): v for k, v in response.getheaders()})


@dataclass
class _Conn:
    sock: socket.socket
    out: bytes
    data: bytearray = field(default_factory=bytearray)
    error: str | None = None
    done: bool = False


def _open(port: int, requests: Sequence[Request]) -> list[_Conn]:
    conns = []
    for request in requests:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        conn = _Conn(sock, request.wire())
        if sock.connect_ex(("127.0.0.1", port)) not in (0, errno.EINPROGRESS):
            conn.error, conn.done = "refused", True
        conns.append(conn)
    return conns


def _wait_connected(conns: list[_Conn], deadline: float) -> None:
    poller = select.epoll()
    pending = {c.sock.fileno(): c for c in conns if not c.done}
    try:
        for fd in pending:
            poller.register(fd, select.EPOLLOUT)
        while pending and time.monotonic() < deadline:
            for fd, _ in poller.poll(0.1):
                conn = pending.pop(fd)
                poller.unregister(fd)
                if conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    conn.error, conn.done = "refused", True
        for conn in pending.values():
            conn.error, conn.done = "connect timeout", True
    finally:
        poller.close()


def _send_all(conns: list[_Conn]) -> None:
    for conn in conns:
        if conn.done:
            continue
        try:
            sent = conn.sock.send(conn.out)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            conn.error, conn.done = type(exc).__name__, True
            continue
        conn.out = conn.out[sent:]


def _on_event(conn: _Conn, poller: select.epoll, fd: int) -> None:
    try:
        if conn.out:
            conn.out = conn.out[conn.sock.send(conn.out) :]
            if not conn.out:
                poller.modify(fd, select.EPOLLIN)
            return
        chunk = conn.sock.recv(READ_CHUNK)
    except BlockingIOError:
        return
    except OSError as exc:
        # A reset after the whole answer arrived loses nothing; parse() judges what did.
        conn.error, conn.done = (None if conn.data else type(exc).__name__), True
        return
    if chunk:
        conn.data += chunk
    else:
        conn.done = True


def _read_all(conns: list[_Conn], deadline: float) -> None:
    poller = select.epoll()
    pending = {c.sock.fileno(): c for c in conns if not c.done}
    try:
        for fd, conn in pending.items():
            poller.register(fd, select.EPOLLOUT if conn.out else select.EPOLLIN)
        while pending and time.monotonic() < deadline:
            for fd, _ in poller.poll(0.1):
                conn = pending[fd]
                _on_event(conn, poller, fd)
                if conn.done:
                    poller.unregister(fd)
                    del pending[fd]
        for conn in pending.values():
            conn.error, conn.done = "timeout", True
    finally:
        poller.close()


def burst(port: int, requests: Sequence[Request], timeout: float = 30.0) -> list[Reply]:
    """Send every request at once to 127.0.0.1:``port``; return the replies in the same order.

    ``timeout`` bounds the whole burst; a request still unanswered then is a "timeout" reply.
    """
    conns = _open(port, requests)
    try:
        deadline = time.monotonic() + timeout
        _wait_connected(conns, min(deadline, time.monotonic() + CONNECT_WAIT_S))
        _send_all(conns)
        _read_all(conns, deadline)
    finally:
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.sock.close()
    return [Reply(None, error=c.error) if c.error else parse(bytes(c.data)) for c in conns]
