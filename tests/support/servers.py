"""Run the production servers for tests: gunicorn with gunicorn.conf.py, and nginx.

`GunicornServer` and `NginxServer` run the production command and nginx configuration as
subprocesses with bounded waits; every stop terminates, waits and then kills.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
APP_SPEC = "wisphub_api:create_app()"
READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
HTTP_TIMEOUT_SECONDS = 10.0
# Settings a developer's shell or .env could hold that would change what the servers do.
_ISOLATED_PREFIXES = ("WISPHUB_", "CACHE_", "PROMETHEUS_", "UPSTREAM_", "VERIFY_")


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    """An HTTP answer as the wire carried it (no decompression)."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    source: str | None = None,
) -> Answer:
    """Send one request to 127.0.0.1:port, from the loopback address ``source`` if given."""
    address = (source, 0) if source else None
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS, source_address=address
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def json_lines(*paths: Path) -> list[dict[str, Any]]:
    """Return every JSON object logged, one per line, in the files (other lines skipped)."""
    entries = []
    for path in paths:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
    return entries


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate, wait, then kill the process group we started."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only what we started
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


class GunicornServer:
    """The production command (`gunicorn -c gunicorn.conf.py "wisphub_api:create_app()"`)."""

    def __init__(
        self,
        log_dir: Path,
        env: dict[str, str],
        name: str = "gunicorn",
        ready_path: str = "/health/ready",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path = log_dir / f"{name}.out.log"
        self.stderr_path = log_dir / f"{name}.err.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
        self.env = {**base, "PORT": str(self.port), **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_path = ready_path

    def start(self) -> GunicornServer:
        """Start gunicorn and wait until ``ready_path`` answers 200 (default: snapshot warm)."""
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-c", str(GUNICORN_CONF), APP_SPEC],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                if call(self.port, "GET", self.ready_path).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready:\n{self.logs()[-3000:]}")

    def logs(self) -> str:
        """Return everything gunicorn wrote so far (access log, then error log)."""
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )

    def log_entries(self) -> list[dict[str, Any]]:
        """Return the JSON lines gunicorn and the app logged."""
        return json_lines(self.stdout_path, self.stderr_path)

    def stop(self) -> None:
        """Stop gunicorn and its workers."""
        _stop(self.process)


class NginxServer:
    """nginx with deploy/nginx.conf.template rendered for a test port and a temporary prefix."""

    def __init__(self, prefix: Path, upstream: str) -> None:
        self.port = free_port()
        self.prefix = prefix
        self.upstream = upstream
        self.conf = prefix / "nginx.conf"
        self.stdout_path = prefix / "nginx.out.log"
        self.stderr_path = prefix / "nginx.err.log"
        self.process: subprocess.Popen[bytes] | None = None

    def render(self) -> None:
        """Write the configuration with deploy/render_nginx.py."""
        self.prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "deploy" / "render_nginx.py"),
                "--listen",
                f"127.0.0.1:{self.port}",
                "--upstream",
                self.upstream,
                "-o",
                str(self.conf),
            ],
            check=True,
            timeout=HTTP_TIMEOUT_SECONDS,
        )

    def start(self, nginx: str) -> NginxServer:
        """Start nginx in the foreground and wait until it answers."""
        self.render()
        command = [
            nginx,
            "-p",
            f"{self.prefix}/",
            "-c",
            str(self.conf),
            "-e",
            "stderr",
            "-g",
            "daemon off;",
        ]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if call(self.port, "GET", "/nginx-health").status == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not start: {self.stderr_path.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop nginx (SIGTERM is its fast shutdown)."""
        _stop(self.process)


# -- gunicorn.conf.py ---------------------------------------------------------------------------
