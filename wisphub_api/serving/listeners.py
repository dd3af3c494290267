"""Where connections wait while workers boot: a socket of the master's, then one per ready worker.

With ``reuse_port`` gunicorn opens each worker's listening socket in the child right after the
fork, before the worker has imported and created the app, and the master holds none. The kernel
spreads new connections over the sockets of the port as soon as they listen, so it handed a
booting worker its share: after a warm restart with 2 workers, one of the first 3 requests waited
300-600 ms for that worker's boot while the other worker idled (docs/benchmarks/scale.md). And
opening a worker's socket only once it is ready would leave nobody listening while every worker
boots (the first start, a reload): connections would be refused, which is worse than waiting.

So the master opens one socket of the port's reuse-port group before it forks (``open_shared``,
from gunicorn.conf.py's ``on_starting``) and every worker inherits it. A worker closes the socket
gunicorn opened for it as soon as it starts (``leave_group``: microseconds after the fork), boots,
and only then opens its own (``join_group``) and accepts on both. While no worker is ready, new
connections queue on the master's socket, never refused; once one is, a booting worker has no
socket of its own for the kernel to pick. The master's socket keeps its share of new connections
(one in workers + 1), taken by whichever ready worker accepts first.
"""

from __future__ import annotations

import socket
from typing import Any

from gunicorn import sock


def reuses_port(cfg: Any) -> bool:
    """Tell whether gunicorn gives each worker a socket of its own (``reuse_port``)."""
    return bool(cfg.reuse_port) and hasattr(socket, "SO_REUSEPORT")


def open_shared(server: Any) -> None:
    """Listen in the master, so connections queue while every worker boots (``on_starting``)."""
    if reuses_port(server.cfg) and not server.LISTENERS:
        # The arbiter sees listeners already there and opens none; workers inherit these.
        server.LISTENERS = sock.create_sockets(server.cfg, server.log)


def leave_group(worker: Any, shared: list[Any]) -> None:
    """Close the sockets gunicorn opened for this booting worker; keep the master's ``shared``.

    Without shared sockets (a configuration without ``open_shared``) the worker keeps its own,
    as gunicorn does: better a wait for its boot than no listener at all.
    """
    if not reuses_port(worker.cfg) or not shared or worker.sockets is shared:
        return
    for own in worker.sockets:
        own.close()
    worker.sockets = list(shared)
    worker.joins_when_ready = True


def join_group(worker: Any) -> list[Any]:
    """Open this worker's own sockets of the port now that it can answer; return them.

    They are gevent sockets, as ``GeventWorker.patch`` makes of the inherited ones.
    """
    if not getattr(worker, "joins_when_ready", False):
        return []
    from gevent import socket as gsocket

    opened = sock.create_sockets(worker.cfg, worker.log)
    return [gsocket.socket(s.FAMILY, gsocket.SOCK_STREAM, fileno=s.sock.detach()) for s in opened]
