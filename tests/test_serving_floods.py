"""Floods of idle connections (issue 11.4): a normal request is still served.

Thousands of connections are opened at once and left silent, directly to gunicorn and through
the bundled nginx; then an ordinary GET on a new connection must get its answer (within the
client's timeout: before this worker, the 2,000 idle connections held every slot for 75 s).
Loopback only; every connection and process is closed at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.floods import flood, idle_flood, raise_open_files
from tests.support.sandbox import SandboxProcess
from tests.support.servers import GunicornServer, NginxServer, nginx_or_skip

pytestmark = pytest.mark.slow

KEY = "floods-test-key"
AUTH = {"X-API-Key": KEY}
PATH = "/api/v1/internet-plans/"
NGINX_FLOOD = 10_000


@pytest.fixture(scope="module")
def sandbox_fast() -> Iterator[SandboxProcess]:
    """A sandbox with no latency for this module."""
    if not raise_open_files(NGINX_FLOOD + 2000):
        pytest.skip("the open-files limit is too low for the floods (ulimit -n)")
    with SandboxProcess(latency_ms="0", per_row_ms=0) as sandbox:
        yield sandbox


def _server(logs: Path, sandbox: SandboxProcess, **env: str) -> GunicornServer:
    settings = {
        "WEB_CONCURRENCY": "2",
        "WISPHUB_NET_HOST": sandbox.url,
        "WISPHUB_NET_KEY": sandbox.api_key,
        "WISPHUB_INTERNAL_API_KEY": KEY,
        "APP_ENV": "development",
        **env,
    }
    return GunicornServer(logs, settings)


@pytest.fixture(scope="module")
def stack(sandbox_fast, tmp_path_factory) -> Iterator[tuple[GunicornServer, NginxServer]]:
    """gunicorn (2 workers, the defaults) and nginx in front of it."""
    logs = tmp_path_factory.mktemp("floods")
    gunicorn = _server(logs, sandbox_fast)
    nginx = NginxServer(logs / "nginx", f"127.0.0.1:{gunicorn.port}")
    try:
        gunicorn.start()
        nginx.start(nginx_or_skip())
        yield gunicorn, nginx
    finally:
        nginx.stop()
        gunicorn.stop()


@pytest.mark.parametrize("size", [2000, 5000])
def test_floods_idle_connections_to_gunicorn_leave_room_for_a_request(stack, size):
    gunicorn, _ = stack
    result = flood(gunicorn.port, size, PATH, AUTH, timeout=5.0)
    assert result.connected == size
    assert result.probe_status == 200


def test_floods_idle_connections_through_nginx_are_all_kept(stack):
    _, nginx = stack
    result = flood(nginx.port, NGINX_FLOOD, PATH, AUTH, timeout=5.0)
    assert result.probe_status == 200
    # nginx had room for every one: none was closed to make room for the next.
    assert result.still_open == result.connected == NGINX_FLOOD


def test_floods_beyond_the_connection_limit_close_idle_ones_first(sandbox_fast, tmp_path):
    small = _server(tmp_path, sandbox_fast, WEB_CONCURRENCY="1", WORKER_CONNECTIONS="100")
    small.start()
    try:
        result = flood(small.port, 300, PATH, AUTH, timeout=5.0)
    finally:
        small.stop()
    assert result.probe_status == 200
    assert result.still_open < result.connected  # the oldest idle ones were closed


def test_floods_a_silent_connection_is_closed_after_the_header_timeout(sandbox_fast, tmp_path):
    quick = _server(tmp_path, sandbox_fast, WEB_CONCURRENCY="1", REQUEST_HEADER_TIMEOUT="1")
    quick.start()
    try:
        with idle_flood(quick.port, 1) as (sockets, connected):
            assert connected == 1
            sockets[0].setblocking(True)
            sockets[0].settimeout(10)  # keep-alive alone held it for 75 s: recv would time out
            assert sockets[0].recv(1) == b""  # closed by the server, without an answer
    finally:
        quick.stop()
