"""free_port: ports a test server can still bind a moment later, whatever clients run meanwhile."""

from __future__ import annotations

import socket

from benchmarks.stack import processes
from tests.support.servers import free_port


def test_free_port_is_below_the_ephemeral_range_and_bindable_on_the_wildcard() -> None:
    low = processes._ephemeral_low()
    for _ in range(20):
        port = free_port()
        if low > processes._LISTEN_PORTS[0]:
            # No client socket gets a local port there, so none can take it before the bind.
            assert processes._LISTEN_PORTS[0] <= port < low
        with socket.socket() as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("", port))


def test_free_port_skips_a_port_that_is_taken(monkeypatch) -> None:
    with socket.socket() as taken:
        taken.bind(("", 0))
        busy = taken.getsockname()[1]
        picks = iter([busy, busy, 0])
        monkeypatch.setattr(processes.random, "randrange", lambda a, b: next(picks))
        assert free_port() != busy
