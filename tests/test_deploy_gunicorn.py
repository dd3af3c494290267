"""gunicorn.conf.py: workers, keep-alive, JSON access log, metrics directory."""

from __future__ import annotations

import json
import os
import re
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config

from tests.support.servers import GUNICORN_CONF, NGINX_TEMPLATE, free_port


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
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "q=3001234567",
        "RAW_URI": f"{path}?q=3001234567",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(
        status="200 OK", sent=10, headers=[("X-Request-ID", "abc"), ("X-Cache", "HIT")]
    )
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
