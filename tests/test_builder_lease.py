"""The snapshot fetch lock in Redis is a lease, renewed while its holder fetches, short if it dies.

With Redis, one builder of the deployment fetches from WispHub and the others wait for its copy.
A builder killed mid-fetch (a restart or a deploy lands during a build, which at 50,000 clients
is most of them) must not hold the others back for a whole upstream budget.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis

from tests.support.servers import GunicornServer
from tests.support.state import FakeClock, redis_url
from tests.test_snapshots import Things
from wisphub_api.config import config_for_tests
from wisphub_api.services import builder as builder_module
from wisphub_api.services.artifact import ArtifactPaths
from wisphub_api.services.builder import Builder, SharedCopies
from wisphub_api.services.connect import upstream_budget


@pytest.fixture
def client() -> redis.Redis:
    client = redis.Redis.from_url(redis_url(), socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis at TEST_REDIS_URL")
    yield client
    client.close()


@pytest.fixture
def prefix(client) -> str:
    prefix = f"lease-{uuid.uuid4().hex[:8]}:"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_the_lock_is_renewed_while_a_fetch_outlasts_its_lease(
    tmp_path, client, prefix, monkeypatch
):
    monkeypatch.setattr(builder_module, "LOCK_LEASE_SECONDS", 1.5)
    things = Things(FakeClock(1_000_000.0))
    things.delay = 4.0  # more than two leases
    config = config_for_tests(CLIENTS_CACHE_TTL=100.0, STALE_MAX_AGE=1000)
    shared = SharedCopies(client, prefix, "things")
    fetcher = Builder(
        config, things, ArtifactPaths(tmp_path, "things"), upstream=None, shared=shared
    )
    result: list = []
    thread = threading.Thread(target=lambda: result.append(fetcher._obtain(None)))
    thread.start()
    seen = []
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        seen.append((shared.locked(), shared.lock(1.5)))
        time.sleep(0.1)
    thread.join(15)
    assert seen and all(held and taken is None for held, taken in seen[3:])
    assert result[0].source == "upstream" and things.calls == 1
    assert not shared.locked()  # released once the copy was published


def hanging_upstream() -> socket.socket:
    """A listener that accepts connections and never answers: a WispHub that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener


def builder_settings(tmp_path, prefix: str, upstream: socket.socket) -> dict:
    """Return a builder's settings: a WispHub that hangs, Redis with the test's prefix."""
    return config_for_tests(
        WISPHUB_NET_HOST=f"http://127.0.0.1:{upstream.getsockname()[1]}",
        UPSTREAM_CONNECT_TIMEOUT=3.0,
        UPSTREAM_READ_TIMEOUT=30.0,
        CACHE_REDIS_URL=redis_url(),
        CACHE_KEY_PREFIX=prefix,
        STATE_DIR=str(tmp_path),
    )


def start_builder(settings: dict, shared: SharedCopies) -> subprocess.Popen:
    """Start a builder process of the clients and wait until it holds the fetch lock."""
    child = subprocess.Popen(
        [sys.executable, "-m", "wisphub_api.services.builder", "clients"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert child.stdin is not None
    child.stdin.write(json.dumps(settings, default=str).encode())
    child.stdin.close()
    deadline = time.monotonic() + 20
    while not shared.locked():  # the child took the lock and is waiting for WispHub
        if time.monotonic() > deadline or child.poll() is not None:
            child.kill()
            child.wait(10)
            pytest.fail("no lock was taken")
        time.sleep(0.05)
    return child


def test_a_builder_killed_mid_fetch_leaves_the_lock_for_one_lease_only(tmp_path, client, prefix):
    upstream = hanging_upstream()
    settings = builder_settings(tmp_path, prefix, upstream)
    assert upstream_budget(settings) > 4 * builder_module.LOCK_LEASE_SECONDS
    shared = SharedCopies(client, prefix, "clients")
    child = start_builder(settings, shared)
    try:
        time.sleep(builder_module.LOCK_LEASE_SECONDS / 3 + 1)  # at least one renewal went by
        child.kill()
        child.wait(10)
        remaining = client.pttl(shared.lock_key)
        assert 0 < remaining <= builder_module.LOCK_LEASE_SECONDS * 1000
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        upstream.close()


def test_a_builder_stopped_mid_fetch_releases_the_lock_at_once(tmp_path, client, prefix):
    upstream = hanging_upstream()
    shared = SharedCopies(client, prefix, "clients")
    child = start_builder(builder_settings(tmp_path, prefix, upstream), shared)
    try:
        child.terminate()  # SIGTERM: the server stops during a build
        assert child.wait(10) == builder_module.STOPPED_STATUS
        assert not shared.locked()  # the next builder fetches at once
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        upstream.close()


def api_over(upstream: socket.socket, tmp_path, prefix: str) -> GunicornServer:
    """Return gunicorn (1 worker, loopback) over a WispHub that hangs, with Redis."""
    env = {
        "APP_ENV": "development",
        "WEB_CONCURRENCY": "1",
        "WISPHUB_NET_HOST": f"http://127.0.0.1:{upstream.getsockname()[1]}",
        "WISPHUB_NET_KEY": "test-key",
        "WISPHUB_INTERNAL_API_KEY": "test-bot-key",
        "CACHE_REDIS_URL": redis_url(),
        "CACHE_KEY_PREFIX": prefix,
    }
    server = GunicornServer(tmp_path, env)
    server.env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{server.port}"  # loopback only
    return server


def wait_locked(shared: SharedCopies, server: GunicornServer) -> bytes:
    """Wait until a builder holds the fetch lock; return its token."""
    deadline = time.monotonic() + 30
    while (token := shared.client.get(shared.lock_key)) is None:
        assert time.monotonic() < deadline, server.logs()[-2000:]
        time.sleep(0.05)
    return bytes(token)


def test_a_server_stopped_during_a_build_leaves_no_fetch_lock(tmp_path, client, prefix):
    upstream = hanging_upstream()
    server = api_over(upstream, tmp_path, prefix)
    shared = SharedCopies(client, prefix, "clients")
    try:
        server.start(wait=False)
        wait_locked(shared, server)  # the worker's builder fetches from a WispHub that hangs
        server.stop()  # SIGTERM to gunicorn, as a deploy does
        assert not shared.locked(), server.logs()[-2000:]
    finally:
        server.stop()
        upstream.close()


def test_a_reload_during_a_build_lets_the_builder_go_on(tmp_path, client, prefix):
    upstream = hanging_upstream()
    server = api_over(upstream, tmp_path, prefix)
    shared = SharedCopies(client, prefix, "clients")
    try:
        server.start(wait=False)
        token = wait_locked(shared, server)
        old_workers = set(server.worker_pids())
        os.kill(server.process.pid, signal.SIGHUP)  # new workers, the old one stops
        deadline = time.monotonic() + 20
        while old_workers & set(server.worker_pids()):
            assert time.monotonic() < deadline, server.logs()[-2000:]
            time.sleep(0.1)
        assert client.get(shared.lock_key) == token  # the same build still holds it
        server.stop()
        assert not shared.locked(), server.logs()[-2000:]
    finally:
        server.stop()
        upstream.close()
