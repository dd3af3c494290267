"""One response, one write (``serving.writes``): what gunicorn writes arrives whole and in order."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from wisphub_api.serving.writes import FLUSH_BYTES, MAX_PIECES, CoalescedWrites, send_pieces


class Recorder:
    """A socket that records its calls; ``sendmsg`` takes at most ``limit`` bytes a call."""

    def __init__(self, limit: int | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.limit = limit
        self.received = b""

    def sendall(self, data: bytes) -> None:
        self.calls.append(("sendall", len(data)))
        self.received += bytes(data)

    def sendmsg(self, pieces: list[Any]) -> int:
        data = b"".join(bytes(piece) for piece in pieces)
        taken = data if self.limit is None else data[: self.limit]
        self.calls.append(("sendmsg", len(pieces)))
        self.received += taken
        return len(taken)

    def send(self, data: bytes) -> int:
        self.calls.append(("send", len(data)))
        self.received += data
        return len(data)

    def shutdown(self, how: int) -> None:
        self.calls.append(("shutdown", how))

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 8000)


class TlsLike(Recorder):
    """A TLS socket: it has a peer certificate and no scatter-gather write that works."""

    def getpeercert(self) -> None:
        return None

    def sendmsg(self, pieces: list[Any]) -> int:
        raise AssertionError("TLS sockets cannot sendmsg")


def test_a_response_written_in_pieces_leaves_in_one_call():
    sock = Recorder()
    writes = CoalescedWrites(sock)
    for piece in (b"HTTP/1.1 200 OK\r\n\r\n", b"\x1f\x8b", b"a" * 28_000, b"\x03\x00"):
        writes.sendall(piece)
    assert sock.calls == []  # nothing leaves before the response is written
    writes.flush()
    assert sock.calls == [("sendmsg", 4)]
    assert sock.received == b"HTTP/1.1 200 OK\r\n\r\n\x1f\x8b" + b"a" * 28_000 + b"\x03\x00"
    writes.flush()
    assert len(sock.calls) == 1  # flushing again sends nothing twice


def test_one_piece_goes_out_as_it_is():
    sock = Recorder()
    writes = CoalescedWrites(sock)
    writes.sendall(b"abc")
    writes.flush()
    assert sock.calls == [("sendall", 3)]


def test_partial_writes_resume_where_they_stopped():
    sock = Recorder(limit=7)
    pieces = [b"0123456789", b"ab", b"cdefghijklmnopqrstuvwxyz", b"!"]
    send_pieces(sock, list(pieces))
    assert sock.received == b"".join(pieces)
    assert all(name == "sendmsg" for name, _ in sock.calls)


def test_a_large_answer_goes_out_while_it_is_written():
    sock = Recorder()
    writes = CoalescedWrites(sock)
    piece = b"x" * (FLUSH_BYTES // 4)
    for _ in range(4):
        writes.sendall(piece)
    assert sock.calls == [("sendmsg", 4)]  # held bytes reached FLUSH_BYTES
    many = CoalescedWrites(Recorder())
    for _ in range(MAX_PIECES):
        many.sendall(b"y")
    assert many.sock.calls == [("sendmsg", MAX_PIECES)]


def test_an_interim_answer_sends_what_is_held_first():
    sock = Recorder()
    writes = CoalescedWrites(sock)
    writes.sendall(b"held")
    writes.send(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert sock.received == b"heldHTTP/1.1 100 Continue\r\n\r\n"


def test_cutting_the_connection_forgets_what_is_held():
    sock = Recorder()
    writes = CoalescedWrites(sock)
    writes.sendall(b"half an answer")
    writes.shutdown(socket.SHUT_RDWR)
    writes.flush()
    assert sock.calls == [("shutdown", socket.SHUT_RDWR)]
    assert writes.getsockname() == ("127.0.0.1", 8000)  # the rest is the socket's


def test_tls_sockets_get_one_joined_write():
    sock = TlsLike()
    send_pieces(sock, [b"ab", b"cd", b"ef"])
    assert sock.calls == [("sendall", 6)] and sock.received == b"abcdef"


@pytest.fixture
def pair():
    left, right = socket.socketpair()
    right.settimeout(5)
    yield left, right
    left.close()
    right.close()


def test_pieces_arrive_whole_and_in_order_over_a_real_socket(pair):
    left, right = pair
    pieces = [bytes([i % 251]) * (1000 + 37 * i) for i in range(300)]  # 2 MB: partial writes
    expected = b"".join(pieces)
    received = bytearray()

    def read() -> None:
        while len(received) < len(expected):
            received.extend(right.recv(65536))

    reader = threading.Thread(target=read)
    reader.start()
    writes = CoalescedWrites(left)
    for piece in pieces:
        writes.sendall(piece)
    writes.flush()
    reader.join(10)
    assert bytes(received) == expected
