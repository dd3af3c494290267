"""The production servers for tests: gunicorn with gunicorn.conf.py, and nginx.

Both come from the one launcher (`benchmarks.stack`): subprocesses in their own sessions, bounded
waits, every stop a SIGTERM, a bounded wait and a SIGKILL to the process group. The names below are
the ones the tests import.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from benchmarks.stack import (
    GUNICORN_CONF,
    NGINX_TEMPLATE,
    ROOT,
    Answer,
    call,
    free_port,
    json_lines,
    nginx_binary,
)
from benchmarks.stack import Gunicorn as GunicornServer
from benchmarks.stack import Nginx as NginxServer

__all__ = [
    "GUNICORN_CONF",
    "NGINX_TEMPLATE",
    "ROOT",
    "Answer",
    "GunicornServer",
    "NginxServer",
    "call",
    "free_port",
    "json_lines",
    "nginx_or_skip",
    "start_api_over_sandbox",
]

INSTALL_TIMEOUT_SECONDS = 300


def nginx_or_skip() -> str:
    """Return nginx's path, installing it when we are root; skip the test otherwise."""
    found = nginx_binary()
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip("nginx is not installed and installing it needs root (deploy/install-nginx.sh)")
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "install-nginx.sh")],
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        capture_output=True,
    )
    if result.returncode != 0:
        pytest.fail(f"deploy/install-nginx.sh failed:\n{result.stdout}{result.stderr}")
    found = nginx_binary()
    if not found:
        pytest.fail("deploy/install-nginx.sh ran but no nginx binary was found")
    return found


def start_api_over_sandbox(sandbox, log_dir, api_key: str, **env: str) -> GunicornServer:
    """Start the API as in production (one gevent worker) over a freshly reset ``sandbox``."""
    settings = {
        "APP_ENV": "development",
        "WISPHUB_NET_HOST": sandbox.url,
        "WISPHUB_NET_KEY": sandbox.api_key,
        "WISPHUB_INTERNAL_API_KEY": api_key,
        "WEB_CONCURRENCY": "1",
        **env,
    }
    sandbox.reset()
    return GunicornServer(log_dir, settings).start()
