"""serving/listeners.py: which sockets a worker keeps while it boots, and when it opens its own."""

from __future__ import annotations

from types import SimpleNamespace

from wisphub_api.serving import listeners


class Socket:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def worker(sockets: list, reuse_port: bool = True) -> SimpleNamespace:
    return SimpleNamespace(cfg=SimpleNamespace(reuse_port=reuse_port), sockets=sockets)


def test_leave_group_closes_the_workers_own_sockets_and_keeps_the_masters():
    own, shared = [Socket()], [Socket()]
    booting = worker(own)
    listeners.leave_group(booting, shared)
    assert own[0].closed and not shared[0].closed
    assert booting.sockets == shared and booting.joins_when_ready


def test_leave_group_without_a_master_socket_keeps_the_workers_own():
    own = [Socket()]
    booting = worker(own)
    listeners.leave_group(booting, [])
    assert booting.sockets == own and not own[0].closed
    assert listeners.join_group(booting) == []


def test_leave_group_without_reuse_port_keeps_the_shared_sockets():
    shared = [Socket()]
    booting = worker(shared, reuse_port=False)
    listeners.leave_group(booting, shared)
    assert booting.sockets is shared and not shared[0].closed


def test_open_shared_without_reuse_port_leaves_it_to_gunicorn():
    server = SimpleNamespace(cfg=SimpleNamespace(reuse_port=False), LISTENERS=[])
    listeners.open_shared(server)
    assert server.LISTENERS == []
