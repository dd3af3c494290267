"""Idle-connection floods: open thousands of connections that never send, then time a request.

    .venv/bin/python -m benchmarks.floods    # 2,000 and 5,000 to gunicorn, 10,000 through nginx

Each flood is a burst of non-blocking connects from several loopback source addresses (so that
ephemeral ports do not run out), left open and silent; then one ordinary GET on a new connection is
timed. Prints the numbers; the tests in tests/test_serving_floods.py assert the behaviour.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import resource
import secrets
import select
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.stack import (
    GUNICORN_CONF,
    Gunicorn,
    Nginx,
    Sandbox,
    StackError,
    call,
    nginx_binary,
)

SOURCES = tuple(f"127.0.0.{n}" for n in range(2, 12))
CONNECT_WAIT_S = 10.0
NGINX_FLOOD = 10_000
PROBE_PATH = "/api/v1/internet-plans/"


@dataclass(frozen=True, slots=True)
class FloodResult:
    """What one flood did: connections opened and still open, and the probe request."""

    opened: int
    connected: int
    still_open: int
    probe_status: int | None  # None: no answer within the probe's timeout
    probe_seconds: float


def raise_open_files(needed: int) -> bool:
    """Raise this process's soft open-files limit to fit ``needed``; tell whether it fits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return True
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= needed


def _connect_all(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for index in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.bind((SOURCES[index % len(SOURCES)], 0))
        code = sock.connect_ex(("127.0.0.1", port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            continue
        sockets.append(sock)
    return sockets


def _wait_connected(sockets: list[socket.socket], seconds: float) -> int:
    """Wait until every connect finished (or ``seconds``); return how many succeeded."""
    poller = select.epoll()
    pending = {sock.fileno(): sock for sock in sockets}
    for fd in pending:
        poller.register(fd, select.EPOLLOUT)
    connected, deadline = 0, time.monotonic() + seconds
    try:
        while pending and time.monotonic() < deadline:
            for fd, _ in poller.poll(0.1):
                sock = pending.pop(fd)
                poller.unregister(fd)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    connected += 1
    finally:
        poller.close()
    return connected


def still_open(sockets: list[socket.socket]) -> int:
    """Count the connections the server has not closed (no end-of-file waiting to be read)."""
    alive = 0
    for sock in sockets:
        try:
            alive += sock.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            alive += 1  # nothing to read: open and idle
        except OSError:
            pass
    return alive


@contextlib.contextmanager
def idle_flood(port: int, count: int) -> Iterator[tuple[list[socket.socket], int]]:
    """Open ``count`` idle connections to ``port`` at once; close them all afterwards."""
    sockets = _connect_all(port, count)
    try:
        yield sockets, _wait_connected(sockets, CONNECT_WAIT_S)
    finally:
        for sock in sockets:
            sock.close()


def probe(
    port: int, path: str, headers: dict[str, str], timeout: float
) -> tuple[int | None, float]:
    """Time one GET on a new connection; (None, seconds) when it gets no answer in time."""
    started = time.monotonic()
    try:
        status: int | None = call(port, "GET", path, headers=headers, timeout=timeout).status
    except OSError:
        status = None
    return status, time.monotonic() - started


def flood(
    port: int, count: int, path: str, headers: dict[str, str], timeout: float = 5.0
) -> FloodResult:
    """Flood ``port`` with ``count`` idle connections and time one ordinary request meanwhile."""
    with idle_flood(port, count) as (sockets, connected):
        status, seconds = probe(port, path, headers, timeout)
        return FloodResult(len(sockets), connected, still_open(sockets), status, seconds)


def run_floods(conf: Path | None = None, sizes: tuple[int, ...] = (2000, 5000)) -> list[str]:
    """Start sandbox, gunicorn (2 workers) and nginx; flood each; return the result lines."""
    if not raise_open_files(max(NGINX_FLOOD, *sizes) + 1000):
        raise StackError("the open-files limit is too low for the floods (ulimit -n)")
    key, lines = "flood-" + secrets.token_hex(8), []
    with (
        tempfile.TemporaryDirectory(prefix="floods-") as work,
        Sandbox(latency_ms="0", per_row_ms=0) as sandbox,
    ):
        env = {
            "WEB_CONCURRENCY": "2",
            "APP_ENV": "development",
            "WISPHUB_NET_HOST": sandbox.url,
            "WISPHUB_NET_KEY": sandbox.api_key,
            "WISPHUB_INTERNAL_API_KEY": key,
        }
        api = Gunicorn(Path(work), env, conf=conf or GUNICORN_CONF)
        nginx = Nginx(Path(work) / "nginx", f"127.0.0.1:{api.port}")
        try:
            api.start()
            headers = {"X-API-Key": key}
            for size in sizes:
                lines.append(_line("gunicorn", size, flood(api.port, size, PROBE_PATH, headers)))
                time.sleep(1.0)  # let the workers notice the closed connections
            if nginx_binary() is not None:
                nginx.start()
                result = flood(nginx.port, NGINX_FLOOD, PROBE_PATH, headers)
                lines.append(_line("nginx", NGINX_FLOOD, result))
        finally:
            nginx.stop()
            api.stop()
    return lines


def _line(target: str, size: int, result: FloodResult) -> str:
    answer = "no answer" if result.probe_status is None else f"{result.probe_status}"
    return (
        f"{size:>6,} idle connections to {target}: {result.connected:,} connected, "
        f"{result.still_open:,} still open at the probe; GET {PROBE_PATH} -> {answer} "
        f"in {result.probe_seconds * 1000:,.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the floods of issue 11 against a fresh stack and print the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floods", description=__doc__)
    parser.add_argument("--conf", type=Path, help="another gunicorn.conf.py (an earlier one)")
    args = parser.parse_args(argv)
    for line in run_floods(args.conf):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
