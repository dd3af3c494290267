"""nginx with deploy/nginx.conf.template rendered for a free port and a private prefix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.stack.probe import call
from benchmarks.stack.processes import (
    ROOT,
    StackError,
    free_port,
    start_process,
    stop_process,
    tree_cpu_seconds,
)

RENDER = ROOT / "deploy" / "render_nginx.py"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
START_TIMEOUT_S = 30.0


def nginx_binary() -> str | None:
    """Return the nginx executable, or None when it is not installed."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def _globals() -> str:
    """Return the main-context directives given on the command line."""
    # Started by root (tests, CI), the workers would run as the build's user (nobody), who may
    # not enter a private prefix (pytest's temp dirs are 0700): a request body or an answer
    # spooled to the prefix's temp directories would fail. The workers keep the caller's user.
    return "daemon off; user root;" if os.geteuid() == 0 else "daemon off;"


class Nginx:
    """nginx in the foreground in front of ``upstream`` (host:port), its files under ``prefix``."""

    def __init__(self, prefix: Path, upstream: str, *, options: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = prefix
        self.upstream = upstream
        self.options = dict(options or {})  # more render_nginx.py flags: {"--read-timeout": "1s"}
        self.conf = prefix / "nginx.conf"
        self.stdout_path = prefix / "nginx.out.log"
        self.stderr_path = prefix / "nginx.err.log"
        self.process: Any = None

    def render(self) -> None:
        """Write the configuration with deploy/render_nginx.py."""
        self.prefix.mkdir(parents=True, exist_ok=True)
        flags = [item for pair in self.options.items() for item in pair]
        command = [sys.executable, str(RENDER), "--listen", f"127.0.0.1:{self.port}"]
        command += ["--upstream", self.upstream, *flags, "-o", str(self.conf)]
        subprocess.run(command, check=True, timeout=30)  # noqa: S603 - our own script

    def start(self, binary: str | None = None) -> Nginx:
        """Start nginx in the foreground and wait until it answers /nginx-health."""
        binary = binary or nginx_binary()
        if binary is None:
            raise StackError("nginx is not installed (deploy/install-nginx.sh installs it)")
        self.render()
        command = [binary, "-p", f"{self.prefix}/", "-c", str(self.conf), "-e", "stderr"]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = start_process([*command, "-g", _globals()], stdout=out, stderr=err)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if call(self.port, "GET", "/nginx-health", timeout=2.0).status == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise StackError(f"nginx did not start: {self.stderr_path.read_text()[-2000:]}")

    def cpu_seconds(self) -> float:
        """Return the CPU seconds used so far by nginx's master and workers."""
        return tree_cpu_seconds(self.process.pid) if self.process else 0.0

    def stop(self) -> None:
        """Stop nginx (SIGTERM is its fast shutdown)."""
        if self.process is not None:
            stop_process(self.process)
