"""gunicorn.conf.py, and the real-server helpers the other deployment tests use.

`GunicornServer` and `NginxServer` run the production command and nginx configuration as
subprocesses with bounded waits; every stop terminates, waits and then kills.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[1]
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


def call(port: int, method: str, path: str, *, headers: dict[str, str] | None = None,
         body: bytes | None = None, source: str | None = None) -> Answer:
    """Send one request to 127.0.0.1:port, from the loopback address ``source`` if given."""
    address = (source, 0) if source else None
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS,
                                            source_address=address)
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

    def __init__(self, log_dir: Path, env: dict[str, str], name: str = "gunicorn") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path = log_dir / f"{name}.out.log"
        self.stderr_path = log_dir / f"{name}.err.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
        self.env = {**base, "PORT": str(self.port), **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> GunicornServer:
        """Start gunicorn and wait until /health/ready answers 200 (the snapshot is warm)."""
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-c", str(GUNICORN_CONF), APP_SPEC], cwd=ROOT, env=self.env,
                stdout=out, stderr=err, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                if call(self.port, "GET", "/health/ready").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready:\n{self.logs()[-3000:]}")

    def logs(self) -> str:
        """Return everything gunicorn wrote so far (access log, then error log)."""
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace")

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
            [sys.executable, str(ROOT / "deploy" / "render_nginx.py"),
             "--listen", f"127.0.0.1:{self.port}", "--upstream", self.upstream,
             "-o", str(self.conf)], check=True, timeout=HTTP_TIMEOUT_SECONDS)

    def start(self, nginx: str) -> NginxServer:
        """Start nginx in the foreground and wait until it answers."""
        self.render()
        command = [nginx, "-p", f"{self.prefix}/", "-c", str(self.conf), "-e", "stderr",
                   "-g", "daemon off;"]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err,
                                            start_new_session=True)
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

@pytest.fixture
def load_conf(monkeypatch, tmp_path):
    """Return a loader of gunicorn.conf.py's settings under a given environment, in a directory
    without .env unless the test writes one."""
    monkeypatch.chdir(tmp_path)

    def load(**env: str) -> dict[str, Any]:
        for name in ("PORT", "WEB_CONCURRENCY", "LOG_LEVEL", "PROMETHEUS_MULTIPROC_DIR"):
            monkeypatch.setenv(name, "")  # recorded, so whatever on_starting sets is undone
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(GUNICORN_CONF))

    return load


def test_gunicorn_conf_defaults_serve_gevent_on_port_8000(load_conf):
    conf = load_conf()
    assert conf["bind"] == ["0.0.0.0:8000"]
    assert conf["worker_class"] == "gevent"
    assert conf["preload_app"] is False
    assert conf["workers"] == len(os.sched_getaffinity(0))


def test_gunicorn_conf_environment_sets_port_and_workers(load_conf):
    conf = load_conf(PORT="9123", WEB_CONCURRENCY="3", LOG_LEVEL="WARNING")
    assert conf["bind"] == ["0.0.0.0:9123"]
    assert conf["workers"] == 3
    assert conf["loglevel"] == "warning"


def test_gunicorn_conf_reads_dotenv_under_the_environment(load_conf, tmp_path):
    (tmp_path / ".env").write_text("PORT=9555\nWEB_CONCURRENCY=5\nLOG_LEVEL=\n")
    conf = load_conf(WEB_CONCURRENCY="2")
    assert conf["bind"] == ["0.0.0.0:9555"]
    assert conf["workers"] == 2
    assert conf["loglevel"] == "info"


def test_gunicorn_conf_keepalive_outlasts_nginx_upstream_keepalive(load_conf):
    upstream = re.search(r"upstream wisphub_api \{(.*?)\n    \}", NGINX_TEMPLATE.read_text(), re.S)
    assert upstream is not None
    nginx_idle = int(re.search(r"keepalive_timeout (\d+)s;", upstream.group(1)).group(1))
    assert load_conf()["keepalive"] > nginx_idle


def test_gunicorn_conf_on_starting_empties_the_configured_metrics_dir(load_conf, tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"stale")
    (tmp_path / "keep.txt").write_text("not ours")
    conf = load_conf(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    conf["on_starting"](SimpleNamespace(log=SimpleNamespace(info=lambda *args: None)))
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_gunicorn_conf_on_starting_makes_a_private_default_dir(load_conf):
    port = free_port()
    conf = load_conf(PORT=str(port))
    conf["on_starting"](SimpleNamespace(log=SimpleNamespace(info=lambda *args: None)))
    path = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    try:
        assert str(port) in path.name
        assert path.is_dir()
        assert path.stat().st_mode & 0o077 == 0
        (path / "counter_1.db").write_bytes(b"")
    finally:
        conf["on_exit"](None)
    assert not path.exists()


def test_gunicorn_conf_on_exit_keeps_a_configured_metrics_dir(load_conf, tmp_path):
    conf = load_conf(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    conf["on_starting"](SimpleNamespace(log=SimpleNamespace(info=lambda *args: None)))
    conf["on_exit"](None)
    assert tmp_path.is_dir()


def _access_line(conf: dict[str, Any], path: str) -> dict[str, Any]:
    cfg = Config()
    cfg.set("access_log_format", conf["access_log_format"])
    logger = conf["JsonLogger"](cfg)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "q=3001234567",
               "RAW_URI": f"{path}?q=3001234567", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "127.0.0.1"}
    response = SimpleNamespace(status="200 OK", sent=10,
                               headers=[("X-Request-ID", "abc"), ("X-Cache", "HIT")])
    request = SimpleNamespace(headers=[("X-API-KEY", "secret-key-value")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=12))
    return json.loads(cfg.access_log_format % logger.atoms_wrapper_class(atoms))


def test_gunicorn_access_log_line_is_json_without_personal_values(load_conf):
    entry = _access_line(load_conf(), "/api/v1/clients/by-document/AB1234567")
    assert entry["path"] == "/api/v1/clients/by-document/***"
    assert (entry["status"], entry["duration_ms"], entry["request_id"]) == (200, 12, "abc")
    assert entry["cache"] == "HIT"
    assert "3001234567" not in json.dumps(entry)


def test_gunicorn_access_log_line_stays_json_with_quotes_in_the_path(load_conf):
    entry = _access_line(load_conf(), '/x"y\\z\n')
    assert entry["path"] == '/x"y\\z\n'
