"""gunicorn with gunicorn.conf.py as a subprocess: the API, or any other app spec (the bare app)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchmarks.stack.probe import Answer, call, json_lines
from benchmarks.stack.processes import (
    BIN,
    ROOT,
    StackError,
    child_pids,
    free_port,
    start_process,
    stop_process,
    tree_cpu_seconds,
)

GUNICORN_CONF = ROOT / "gunicorn.conf.py"
APP_SPEC = "wisphub_api:create_app()"
READY_TIMEOUT_S = 30.0
# Settings a developer's shell could hold that would change what the server does: the server
# gets only what the caller passes for these.
ISOLATED_PREFIXES = (
    "WISPHUB_",
    "CACHE_",
    "PROMETHEUS_",
    "UPSTREAM_",
    "VERIFY_",
    "OVERLOAD_",
    "WORKER_CONNECTIONS",
    "REQUEST_HEADER_TIMEOUT",
    "GUNICORN_CMD_ARGS",
    "STATE_",
    "SHARED_STATE_",
    "REDIS_",
    "SNAPSHOT_",
    "COLD_WAIT_",
)
# Times a start is tried again on another port when the one picked was taken meanwhile (a free
# port is only free until someone else binds it).
PORT_ATTEMPTS = 3


def is_ready(answer: Answer) -> bool:
    """Tell whether a readiness answer says 200."""
    return answer.status == 200


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py <app>` on a free port; its logs in ``log_dir``."""

    def __init__(
        self,
        log_dir: Path,
        env: Mapping[str, str],
        name: str = "gunicorn",
        ready_path: str = "/health/ready",
        app: str = APP_SPEC,
        conf: Path = GUNICORN_CONF,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = name
        self.app = app
        self.conf = conf  # another configuration file: the one of an earlier commit, say
        self.ready_path = ready_path
        self.stdout_path = log_dir / f"{name}.out.log"
        self.stderr_path = log_dir / f"{name}.err.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED_PREFIXES)}
        # A host's disk of its own (snapshots, embedded store) unless the caller shares one.
        own_state = {"STATE_DIR": str(log_dir / f"{name}-state")}
        self.env = {**base, **own_state, "PORT": str(self.port), **env}
        self.process: Any = None

    def start(self, wait: bool = True) -> Gunicorn:
        """Start gunicorn; unless ``wait`` is False, wait until ``ready_path`` answers 200."""
        command = [str(BIN / "gunicorn"), "-c", str(self.conf), self.app]
        for attempt in range(PORT_ATTEMPTS):
            with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
                self.process = start_process(command, env=self.env, stdout=out, stderr=err)
            if not self._lost_its_port() or attempt + 1 == PORT_ATTEMPTS:
                break
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.env["PORT"] = str(self.port)
        if wait:
            self.wait_ready(READY_TIMEOUT_S)
        return self

    def _lost_its_port(self) -> bool:
        """Tell whether gunicorn exited at once because its port was taken (then stop it)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "in use" in self.logs():
                self.stop()
                return True
            if self.process.poll() is not None or "Booting worker" in self.logs():
                return False
            time.sleep(0.05)
        return False

    def probe(self, path: str) -> Answer | None:
        """GET ``path`` once; None when nothing answers. Raise StackError if gunicorn exited."""
        if self.process is None or self.process.poll() is not None:
            raise StackError(f"gunicorn exited:\n{self.logs()[-3000:]}")
        try:
            return call(self.port, "GET", path, timeout=2.0)
        except OSError:
            return None

    def wait_ready(
        self,
        timeout: float,
        streak: int = 1,
        ready: Callable[[Answer], bool] = is_ready,
    ) -> float:
        """Wait for ``streak`` ready answers in a row; return the seconds waited.

        A worker answers readiness for itself only; fresh connections spread over the workers,
        so a streak of ready answers makes it very likely that every worker is warm.
        """
        started = time.monotonic()
        in_a_row = 0
        while in_a_row < streak:
            if time.monotonic() - started > timeout:
                self.stop()
                raise StackError(
                    f"{self.ready_path} was not ready within {timeout:g} s:\n{self.logs()[-3000:]}"
                )
            answer = self.probe(self.ready_path)
            good = answer is not None and ready(answer)
            in_a_row = in_a_row + 1 if good else 0
            time.sleep(0.02 if good else 0.1)
        return time.monotonic() - started

    def logs(self) -> str:
        """Return everything gunicorn wrote so far (stdout, then stderr)."""
        return "".join(
            path.read_text(errors="replace") if path.exists() else ""
            for path in (self.stdout_path, self.stderr_path)
        )

    def log_entries(self) -> list[dict[str, Any]]:
        """Return the JSON lines gunicorn and the app logged."""
        return json_lines(self.stdout_path, self.stderr_path)

    def log_offset(self) -> int:
        """Return the size of the log with the request lines, to read one phase's lines later."""
        return self.stderr_path.stat().st_size if self.stderr_path.exists() else 0

    def log_lines(self, start: int, end: int) -> list[str]:
        """Return the log lines written between two offsets."""
        with self.stderr_path.open("rb") as log:
            log.seek(start)
            return log.read(end - start).decode("utf-8", errors="replace").splitlines()

    def worker_pids(self) -> list[int]:
        """Return the pids of the live workers."""
        return child_pids(self.process.pid) if self.process else []

    def worker_count(self) -> int:
        """Count the live gunicorn workers."""
        return len(self.worker_pids())

    def cpu_seconds(self) -> float:
        """Return the CPU seconds used so far by the gunicorn master and its live workers."""
        return tree_cpu_seconds(self.process.pid) if self.process else 0.0

    def stop(self) -> None:
        """Stop gunicorn and its workers."""
        if self.process is not None:
            stop_process(self.process)
