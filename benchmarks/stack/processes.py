"""Start, watch and stop the processes of a bench: the WispHub Net sandbox and the API (gunicorn).

Every process is stopped the same way: SIGTERM, a bounded wait, then SIGKILL.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv that runs the bench also runs gunicorn
READY_PREFIX = "WISPHUB SANDBOX listening on "
SANDBOX_START_S = 20.0
STOP_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 2.0
# A worker answers readiness for itself only; with fresh connections spread over the workers,
# this many ready answers in a row make it very likely that every worker is warm.
READY_STREAK = 20


class StackError(RuntimeError):
    """A process of the bench did not start or did not become ready."""


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT_S) -> int | None:
    """Terminate a process, wait for it, kill it if it lingers; return its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    return process.returncode


def process_cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a live process used so far (0.0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return 0.0
    # Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds(proc_stat: str) -> float:
    """Return the CPU seconds all cores spent busy since boot, from /proc/stat's "cpu" line."""
    for line in proc_stat.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            # user nice system idle iowait irq softirq steal: idle, iowait and steal (time the
            # hypervisor gave to other machines) are not work done on this one.
            user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[1:8])
            return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_busy_seconds() -> float:
    """Return the CPU seconds this machine's cores spent busy since boot (0.0 off Linux)."""
    try:
        return busy_seconds(Path("/proc/stat").read_text(encoding="ascii"))
    except OSError:
        return 0.0


def child_pids(pid: int) -> list[int]:
    """Return the direct children of a process (gunicorn's workers)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except OSError:
        return []
    return [int(item) for item in text.split()]


def _first_line(stream: IO[str], into: queue.Queue[str]) -> None:
    into.put(stream.readline())


class Sandbox:
    """`python -m wisphub_api.sandbox --port 0` with its default, realistic latency."""

    def __init__(self, log_dir: Path, *args: str) -> None:
        self.args = list(args)
        self.log_path = log_dir / "sandbox.log"
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> Sandbox:
        """Start the sandbox and wait for the line that gives its address."""
        command = [
            sys.executable,
            "-m",
            "wisphub_api.sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            *self.args,
        ]
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed command
                command,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_first_line, args=(self.process.stdout, lines), daemon=True).start()
        try:
            line = lines.get(timeout=SANDBOX_START_S)
        except queue.Empty:
            line = ""
        if not line.startswith(READY_PREFIX):
            raise StackError(f"the sandbox did not start; see {self.log_path}")
        self.url = line[len(READY_PREFIX) :].strip()
        return self

    def control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Call the control plane (/__stats, /__latency, ...) and return its JSON."""
        response = requests.request(method, self.url + path, json=body, timeout=PROBE_TIMEOUT_S)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """Return the sandbox's call counters."""
        return dict(self.control("GET", "/__stats"))

    def cpu_seconds(self) -> float:
        """Return the CPU seconds the sandbox used so far."""
        return process_cpu_seconds(self.process.pid) if self.process else 0.0

    def stop(self) -> None:
        """Stop the sandbox."""
        if self.process is not None:
            stop_process(self.process)
            if self.process.stdout is not None:
                self.process.stdout.close()


class ApiServer:
    """The API under gunicorn with gunicorn.conf.py (gevent workers), on a free port."""

    def __init__(self, log_dir: Path, name: str, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.access_log = log_dir / f"{name}.access.log"
        self.error_log = log_dir / f"{name}.error.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        """Start gunicorn; it serves once its workers have booted."""
        self.port = free_port()
        env = {**os.environ, **self.env, "PORT": str(self.port)}
        command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wisphub_api:create_app()"]
        with self.access_log.open("wb") as out, self.error_log.open("wb") as err:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed command
                command, cwd=ROOT, env=env, stdout=out, stderr=err
            )
        return self

    def _probe(self, path: str) -> requests.Response | None:
        if self.process is None or self.process.poll() is not None:
            raise StackError(f"gunicorn exited; see {self.error_log}")
        try:
            return requests.get(self.url + path, timeout=PROBE_TIMEOUT_S)
        except requests.RequestException:
            return None

    def wait_live(self, timeout: float) -> None:
        """Wait until GET /health answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self._probe("/health")
            if response is not None and response.status_code == 200:
                return
            time.sleep(0.1)
        raise StackError(f"GET /health did not answer 200 within {timeout:g} s")

    def wait_ready(self, timeout: float, streak: int = READY_STREAK) -> float:
        """Wait for `streak` ready answers in a row (clients and plans warm); return the wait."""
        started = time.monotonic()
        in_a_row = 0
        while in_a_row < streak:
            if time.monotonic() - started > timeout:
                raise StackError(f"GET /health/ready was not 200 within {timeout:g} s")
            response = self._probe("/health/ready")
            warm = (
                response is not None
                and response.status_code == 200
                and response.json().get("plans", {}).get("warm") is True
            )
            in_a_row = in_a_row + 1 if warm else 0
            time.sleep(0.02 if warm else 0.2)
        return time.monotonic() - started

    def worker_count(self) -> int:
        """Count the live gunicorn workers."""
        return len(child_pids(self.process.pid)) if self.process else 0

    def cpu_seconds(self) -> float:
        """Return the CPU seconds used so far by the gunicorn master and its live workers."""
        if self.process is None:
            return 0.0
        pids = [self.process.pid, *child_pids(self.process.pid)]
        return sum(process_cpu_seconds(pid) for pid in pids)

    def log_offset(self) -> int:
        """Return the size of the access log, to read one phase's lines later."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def log_lines(self, start: int, end: int) -> list[str]:
        """Return the access-log lines written between two offsets."""
        with self.access_log.open("rb") as log:
            log.seek(start)
            return log.read(end - start).decode("utf-8", errors="replace").splitlines()

    def stop(self) -> None:
        """Stop gunicorn (it stops its workers)."""
        if self.process is not None:
            stop_process(self.process)
