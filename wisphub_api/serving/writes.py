"""One response, one write: gunicorn's writes of an answer gathered and sent together.

gunicorn writes an answer's headers with one ``sendall`` and then each piece of its body with
another. A cached plans answer was 2 writes; the gzipped client list 8 (its headers, the gzip
header, three segments of 28 KB, then three pieces of 2 to 8 bytes), seen with strace. With
TCP_NODELAY each write leaves as a segment of its own, and every one costs a system call here and
a wake-up of the client's event loop there: on a load generator that shares the cores, time that
every other simulated user's answer waits behind.

``CoalescedWrites`` stands for the connection's socket while gunicorn serves one request: it
keeps what gunicorn writes and sends it with one ``sendmsg`` (scatter-gather, nothing copied) at
the end of the response, or as soon as ``FLUSH_BYTES`` are held, so a large answer still goes
out while it is written, and a streamed one (an invoice PDF read from WispHub) in steps of that
size. Anything else gunicorn does with the socket (an interim ``100 Continue``, ``sendfile``,
its address) sends what is held first, then goes to the socket.
"""

from __future__ import annotations

from typing import Any

# Bytes held before they are sent without waiting for the end of the response; a 22 MB list
# goes out in writes of about this size.
FLUSH_BYTES = 256 * 1024
# Pieces one sendmsg takes (the kernel's IOV_MAX is 1024).
MAX_PIECES = 256


class CoalescedWrites:
    """A connection's socket for one response, its writes gathered (see the module's doc)."""

    __slots__ = ("_pending", "_size", "sock")

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self._pending: list[bytes] = []
        self._size = 0

    def sendall(self, data: bytes) -> None:
        """Hold ``data``; send what is held once it reaches FLUSH_BYTES or MAX_PIECES."""
        self._pending.append(data)
        self._size += len(data)
        if self._size >= FLUSH_BYTES or len(self._pending) >= MAX_PIECES:
            self.flush()

    def flush(self) -> None:
        """Send everything held, in order."""
        pending = self._pending
        if not pending:
            return
        self._pending, self._size = [], 0
        if len(pending) == 1:
            self.sock.sendall(pending[0])
        else:
            send_pieces(self.sock, pending)

    def drop(self) -> None:
        """Forget what is held (the connection is being cut off)."""
        self._pending, self._size = [], 0

    # What gunicorn sends past sendall, and what ends the connection.
    def send(self, data: bytes) -> int:
        self.flush()
        return int(self.sock.send(data))

    def sendfile(self, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        return self.sock.sendfile(*args, **kwargs)

    def shutdown(self, how: int) -> None:
        self.drop()
        self.sock.shutdown(how)

    def close(self) -> None:
        self.drop()
        self.sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


def send_pieces(sock: Any, pieces: list[bytes]) -> None:
    """Send ``pieces`` in order with as few system calls as the socket allows."""
    sendmsg = getattr(sock, "sendmsg", None)
    if sendmsg is None or hasattr(sock, "getpeercert"):  # TLS has no scatter-gather write
        sock.sendall(b"".join(pieces))
        return
    queue: list[Any] = pieces
    index = 0
    while index < len(queue):
        sent = sendmsg(queue[index : index + MAX_PIECES])
        while sent:
            size = len(queue[index])
            if sent < size:  # a partial write: the rest of this piece goes first next time
                queue[index] = memoryview(queue[index])[sent:]
                break
            sent -= size
            index += 1
