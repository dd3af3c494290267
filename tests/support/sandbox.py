"""Run the WispHub Net sandbox as a subprocess for tests: `SandboxProcess` and pytest fixtures.

Use it from any test module through `pytest_plugins = ["tests.support.sandbox"]` (tests/conftest.py)
and ask for the `sandbox` fixture (session-wide, no latency, 1500 clients) or `sandbox_clean`
(the same process, reset before and after the test).
"""

from __future__ import annotations

import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import requests

from wisphub_api.sandbox.options import DEMO_API_KEY

ROOT = Path(__file__).resolve().parents[2]
READY_PREFIX = "WISPHUB SANDBOX listening on "
START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 5.0
CONTROL_TIMEOUT_SECONDS = 5.0


def _read_first_line(stream: Any, into: queue.Queue[str]) -> None:
    into.put(stream.readline())


class SandboxProcess:
    """One `python -m wisphub_api.sandbox --port 0 ...` subprocess and its control plane."""

    def __init__(self, *args: str, api_key: str = DEMO_API_KEY, **options: Any) -> None:
        self.args = [*args, *self._flags(options)]
        self.api_key = api_key
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        # A file, not a pipe: nobody reads stderr while the server runs, so a pipe could fill up.
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by stop()

    @staticmethod
    def _flags(options: dict[str, Any]) -> list[str]:
        # latency_ms="0" -> ["--latency-ms", "0"]; http_next=True -> ["--http-next"]
        flags: list[str] = []
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                flags.append(flag)
            elif value is not False and value is not None:
                flags += [flag, str(value)]
        return flags

    def start(self) -> SandboxProcess:
        """Start the process and wait for its listening line."""
        command = [sys.executable, "-m", "wisphub_api.sandbox", "--port", "0", *self.args]
        self._process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(
            target=_read_first_line, args=(self._process.stdout, lines), daemon=True
        )
        reader.start()
        try:
            line = lines.get(timeout=START_TIMEOUT_SECONDS)
        except queue.Empty:
            line = ""
        if not line.startswith(READY_PREFIX):
            errors = self.stderr()
            self.stop()
            raise RuntimeError(f"sandbox did not start: {line!r}\n{errors}")
        self.url = line[len(READY_PREFIX) :].strip()
        return self

    def stderr(self) -> str:
        """Return what the process wrote to stderr so far ("" once stopped)."""
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()

    @property
    def headers(self) -> dict[str, str]:
        """Return the Authorization header WispHub expects."""
        return {"Authorization": f"Api-Key {self.api_key}"}

    @property
    def returncode(self) -> int | None:
        """Return the exit status, or None while running."""
        return None if self._process is None else self._process.poll()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET an /api/ path with the sandbox's key; keyword arguments go to requests."""
        timeout = kwargs.pop("timeout", CONTROL_TIMEOUT_SECONDS)
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.get(self.url + path, headers=headers, timeout=timeout, **kwargs)

    def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(
            method, self.url + path, json=body, timeout=CONTROL_TIMEOUT_SECONDS
        )
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """Return `GET /__stats`."""
        return self._control("GET", "/__stats")

    def reset_stats(self) -> None:
        """Clear the call counters."""
        self._control("POST", "/__stats/reset")

    def fault(self, mode: str, **kwargs: Any) -> dict[str, Any]:
        """Inject a fault: fault("error", path="/api/clientes/", count=2)."""
        return self._control("POST", "/__fault", {"mode": mode, **kwargs})

    def latency(
        self, latency_ms: str = "0", per_row_ms: float = 0.0, **kwargs: Any
    ) -> dict[str, Any]:
        """Change the latency knobs (and error_rate, stall_rate, stall_seconds if given)."""
        body = {"latency_ms": latency_ms, "per_row_ms": per_row_ms, **kwargs}
        return self._control("POST", "/__latency", body)

    def reset(self) -> None:
        """Restore the dataset from the seed and clear faults, stats and knobs."""
        self._control("POST", "/__reset")

    def stop(self) -> int | None:
        """Terminate the process (kill it if it does not exit in time); return its status."""
        process = self._process
        if process is None:
            return None
        self._stderr.close()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if process.stdout is not None:
            process.stdout.close()
        return process.returncode

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    """Serve one sandbox for the whole session: 1500 clients, no latency."""
    with SandboxProcess(latency_ms="0", per_row_ms=0) as process:
        yield process


@pytest.fixture
def sandbox_clean(sandbox: SandboxProcess) -> Iterator[SandboxProcess]:
    """Yield the session sandbox reset to its seed, and reset it again afterwards."""
    sandbox.reset()
    yield sandbox
    sandbox.reset()
