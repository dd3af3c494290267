"""gunicorn.conf.py: workers, keep-alive, JSON access log, metrics directory."""

from __future__ import annotations

import os
import re
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

from tests.support.servers import GUNICORN_CONF, NGINX_TEMPLATE, free_port
from wisphub_api.serving import orphans

SETTINGS = (
    "PORT",
    "WEB_CONCURRENCY",
    "LOG_LEVEL",
    "PROMETHEUS_MULTIPROC_DIR",
    "WORKER_CONNECTIONS",
    "REQUEST_HEADER_TIMEOUT",
    "OVERLOAD_LAG_MS",
    "OVERLOAD_MAX_IN_FLIGHT",
    "OVERLOAD_RETRY_AFTER",
)


@pytest.fixture
def load_conf(monkeypatch, tmp_path):
    """Return a loader of gunicorn.conf.py's settings under a given environment, in a directory
    without .env unless the test writes one.

    Its hooks run in pytest's process, which must neither adopt orphans nor stop its children
    (the servers other fixtures started) as a stopping gunicorn master does.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(orphans, "adopt_orphans", lambda: False)
    monkeypatch.setattr(orphans, "stop_children", lambda: [])

    def load(**env: str) -> dict[str, Any]:
        for name in SETTINGS:
            monkeypatch.setenv(name, "")  # recorded, so whatever on_starting sets is undone
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(GUNICORN_CONF))

    return load


def test_gunicorn_conf_defaults_serve_gevent_on_port_8000(load_conf):
    conf = load_conf()
    assert conf["bind"] == ["0.0.0.0:8000"]
    assert issubclass(util.load_class(conf["worker_class"]), GeventWorker)
    assert conf["preload_app"] is False
    assert conf["workers"] == len(os.sched_getaffinity(0))
    assert conf["reuse_port"] is True


def test_gunicorn_conf_logs_no_access_line(load_conf):
    # One line per request, the app's (or the worker's for what the app never sees).
    assert load_conf()["accesslog"] is None


def test_gunicorn_conf_serving_settings_come_from_the_environment(load_conf):
    conf = load_conf(
        WORKER_CONNECTIONS="123",
        REQUEST_HEADER_TIMEOUT="2.5",
        OVERLOAD_LAG_MS="80",
        OVERLOAD_MAX_IN_FLIGHT="7",
        OVERLOAD_RETRY_AFTER="3",
    )
    serving = conf["serving"]
    assert conf["worker_connections"] == 123
    assert (serving.request_header_timeout, serving.shed_lag_ms) == (2.5, 80.0)
    assert (serving.max_in_flight, serving.retry_after) == (7, 3)


def test_gunicorn_conf_post_fork_hands_the_settings_to_the_worker(load_conf):
    conf = load_conf(OVERLOAD_LAG_MS="55")
    worker = SimpleNamespace(configured=None)
    worker.configure = lambda settings: setattr(worker, "configured", settings)
    conf["post_fork"](None, worker)
    assert worker.configured.shed_lag_ms == 55.0
    conf["post_fork"](None, SimpleNamespace())  # another worker class: nothing to hand over


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


def arbiter() -> SimpleNamespace:
    """Return the parts of the arbiter on_starting uses: it listens already (no reuse_port)."""
    cfg = SimpleNamespace(reuse_port=False)
    return SimpleNamespace(log=SimpleNamespace(info=lambda *args: None), cfg=cfg, LISTENERS=[])


def test_gunicorn_conf_on_starting_empties_the_configured_metrics_dir(load_conf, tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"stale")
    (tmp_path / "keep.txt").write_text("not ours")
    conf = load_conf(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    conf["on_starting"](arbiter())
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_gunicorn_conf_on_starting_makes_a_private_default_dir(load_conf):
    port = free_port()
    conf = load_conf(PORT=str(port))
    conf["on_starting"](arbiter())
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
    conf["on_starting"](arbiter())
    conf["on_exit"](None)
    assert tmp_path.is_dir()
