"""A private redis-server on a free loopback port, for the probes that kill or freeze Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from typing import Any

from benchmarks.stack.processes import StackError, free_port, start_process, stop_process

START_TIMEOUT_S = 10.0


def redis_binary() -> str | None:
    """Return the redis-server executable, or None when it is not installed."""
    return shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")


class RedisServer:
    """redis-server with no persistence, bound to 127.0.0.1 on a port of its own."""

    def __init__(self) -> None:
        binary = redis_binary()
        if binary is None:
            raise StackError("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.process: Any = None

    @property
    def url(self) -> str:
        """Return its URL (database 0: nothing else uses this server)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start it (again, on the same port) and wait until it accepts connections."""
        command = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no"]
        self.process = start_process(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise StackError("redis-server did not start")

    def signal(self, number: int) -> None:
        """Send ``number`` to this redis-server, by its PID (SIGKILL also reaps it)."""
        os.kill(self.process.pid, number)
        if number == signal.SIGKILL:
            self.process.wait(10)

    def stop(self) -> None:
        """Stop it if it runs (thawing it first, in case it was frozen)."""
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGCONT)
            stop_process(self.process)
