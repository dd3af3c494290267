"""The WispHub Net sandbox (`python -m wisphub_api.sandbox --port 0 ...`) as a subprocess."""

from __future__ import annotations

import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests

from benchmarks.stack.processes import StackError, process_cpu_seconds, start_process, stop_process
from wisphub_api.sandbox.options import DEMO_API_KEY

START_TIMEOUT_S = 20.0
CONTROL_TIMEOUT_S = 5.0


def listening_prefix() -> str:
    """Return the start of the line the sandbox prints once it listens (defined by it)."""
    from wisphub_api.sandbox.server import LISTENING  # imports gevent and the sandbox's app

    return LISTENING


def option_flags(options: dict[str, Any]) -> list[str]:
    """Turn keyword options into flags: latency_ms="0" -> --latency-ms 0, http_next=True -> flag."""
    flags: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is not False and value is not None:
            flags += [flag, str(value)]
    return flags


def _first_line(stream: IO[str], into: queue.Queue[str]) -> None:
    into.put(stream.readline())


class Sandbox:
    """One sandbox on a free port of 127.0.0.1, and its control plane (no key needed there)."""

    def __init__(
        self,
        *args: str,
        api_key: str = DEMO_API_KEY,
        log_path: Path | None = None,
        **options: Any,
    ) -> None:
        self.args = [*args, *option_flags(options)]
        self.api_key = api_key
        self.log_path = log_path
        self.url = ""
        self._process: Any = None
        # A file, not a pipe: nobody reads stderr while the sandbox runs, so a pipe could fill.
        self._stderr: IO[str] = (
            log_path.open("w+") if log_path else tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        )

    def start(self) -> Sandbox:
        """Start the process and wait for its listening line."""
        command = [sys.executable, "-m", "wisphub_api.sandbox", "--host", "127.0.0.1"]
        self._process = start_process(
            [*command, "--port", "0", *self.args],
            stdout=subprocess.PIPE,  # the listening line
            stderr=self._stderr,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_first_line, args=(self._process.stdout, lines))
        reader.daemon = True
        reader.start()
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            line = ""
        prefix = listening_prefix()
        if not line.startswith(prefix):
            errors = self.stderr()
            self.stop()
            raise StackError(f"the sandbox did not start: {line!r}\n{errors[-2000:]}")
        self.url = line[len(prefix) :].strip()
        return self

    @property
    def headers(self) -> dict[str, str]:
        """Return the upstream authentication header."""
        return {"Authorization": f"Api-Key {self.api_key}"}

    @property
    def pid(self) -> int | None:
        """Return the process id, or None before start."""
        return None if self._process is None else int(self._process.pid)

    @property
    def returncode(self) -> int | None:
        """Return the exit status, or None while running."""
        return None if self._process is None else self._process.poll()

    def stderr(self) -> str:
        """Return what the process wrote to stderr so far ("" once stopped)."""
        if self._stderr.closed:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET an /api/ path with the sandbox's key; keyword arguments go to requests."""
        timeout = kwargs.pop("timeout", CONTROL_TIMEOUT_S)
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.get(self.url + path, headers=headers, timeout=timeout, **kwargs)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the control plane (/__stats, /__fault, ...) and return its JSON."""
        response = requests.request(method, self.url + path, json=body, timeout=CONTROL_TIMEOUT_S)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """Return `GET /__stats`: the calls served, by path and page."""
        return dict(self.control("GET", "/__stats"))

    def reset_stats(self) -> None:
        """Clear the call counters."""
        self.control("POST", "/__stats/reset")

    def fault(self, mode: str, **kwargs: Any) -> dict[str, Any]:
        """Inject a fault: fault("error", path="/api/clientes/", count=2)."""
        return dict(self.control("POST", "/__fault", {"mode": mode, **kwargs}))

    def latency(
        self, latency_ms: str = "0", per_row_ms: float = 0.0, **kwargs: Any
    ) -> dict[str, Any]:
        """Change the latency knobs (and error_rate, stall_rate, stall_seconds if given)."""
        body = {"latency_ms": latency_ms, "per_row_ms": per_row_ms, **kwargs}
        return dict(self.control("POST", "/__latency", body))

    def reset(self) -> None:
        """Restore the dataset from the seed and clear faults, stats and knobs."""
        self.control("POST", "/__reset")

    def cpu_seconds(self) -> float:
        """Return the CPU seconds the sandbox used so far."""
        return process_cpu_seconds(self._process.pid) if self._process else 0.0

    def stop(self) -> int | None:
        """Stop the process (SIGTERM, bounded wait, SIGKILL); return its exit status."""
        process = self._process
        status = None if process is None else stop_process(process)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if not self._stderr.closed:
            self._stderr.close()
        return status

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
