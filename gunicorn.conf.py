"""Gunicorn settings of WispHub API: gevent workers behind nginx, JSON logs, shared metrics.

    .venv/bin/gunicorn -c gunicorn.conf.py "wisphub_api:create_app()"

This file configures gunicorn, not the app, so it reads its own settings (PORT, WEB_CONCURRENCY,
LOG_LEVEL, PROMETHEUS_MULTIPROC_DIR) from the environment, else from .env, as the app does. It
never imports the app: each worker imports it after gevent has patched the standard library.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from dotenv import dotenv_values
from gunicorn.glogging import Logger, SafeAtoms

_DOTENV = dotenv_values(".env") if os.path.isfile(".env") else {}


def _setting(name: str) -> str:
    """Return a setting from the environment, else from .env; "" when unset or empty."""
    return (os.environ.get(name) or _DOTENV.get(name) or "").strip()


def _env_int(name: str, default: int) -> int:
    raw = _setting(name)
    return int(raw) if raw else default


def _cpu_count() -> int:
    # The CPUs this process may run on (a container's cpuset), not every CPU of the host.
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


port = _env_int("PORT", 8000)
bind = [f"0.0.0.0:{port}"]

worker_class = "gevent"
# One process per core: the work is short CPU bursts (serialising from the snapshot) and waits.
workers = _env_int("WEB_CONCURRENCY", _cpu_count())
# Concurrent connections per worker, each a greenlet. nginx keeps at most 32 idle connections per
# nginx worker and bots come in bursts; past this, connections queue in the listen backlog.
worker_connections = 1000
# With gevent, the arbiter kills a worker whose event loop is stuck this long. A slow upstream
# call only parks its greenlet; nothing here should block the loop for 30 s.
timeout = 30
# On restart or SIGTERM, in-flight answers get this long. A cold lookup can wait on WispHub Net
# longer, but the snapshot is shared, so a retried request is usually a cache hit.
graceful_timeout = 30
# Seconds an idle keep-alive connection from nginx stays open. It MUST exceed nginx's upstream
# keepalive_timeout (60 s in deploy/nginx.conf.template): otherwise gunicorn may close a
# connection just as nginx reuses it, and that request fails with a reset (502).
keepalive = 75
# Never preload: create_app builds a requests.Session and starts the snapshot refresher, which must
# happen in each worker, after gevent has patched ssl, sockets and threading.
preload_app = False
# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which two
# servers on one host would fight over; manage gunicorn with signals (HUP, TTIN, TTOU, TERM).
control_socket_disable = True
# The worker heartbeat file (gunicorn makes it with mkstemp): in memory, so a slow container disk
# cannot stall it.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented choice for containers
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None

loglevel = _setting("LOG_LEVEL").lower() or "info"
accesslog = "-"  # stdout
errorlog = "-"  # stderr
# One JSON object per request. Every atom is JSON-escaped by JsonLogger; the path has document and
# phone values masked, and the query string (search text, phones) is never logged.
access_log_format = (
    '{"ts": "%(t)s", "level": "INFO", "logger": "gunicorn.access", "method": "%(m)s", '
    '"path": "%(U)s", "status": %(s)s, "duration_ms": %(M)s, '
    '"request_id": "%({x-request-id}o)s", "remote_addr": "%(h)s", "cache": "%({x-cache}o)s"}'
)

# Path segments that are personal data, and any run of 6+ digits (a document or a phone).
_PERSONAL_SEGMENT = re.compile(r"(/by-(?:document|phone)/)[^/]+")
_DIGIT_RUN = re.compile(r"\d{6,}")
# Request headers that must never reach a log line, even if the format above is changed.
_SECRET_HEADERS = ("{x-api-key}i", "{authorization}i", "{cookie}i")


def mask_path(path: str) -> str:
    """Return ``path`` with document and phone values replaced by ``***``."""
    return _DIGIT_RUN.sub("***", _PERSONAL_SEGMENT.sub(r"\1***", path))


class JsonAtoms(SafeAtoms):
    """Gunicorn's access-log atoms, each string escaped for a JSON string literal."""

    def __init__(self, atoms: dict) -> None:
        dict.__init__(
            self,
            {
                key: json.dumps(value)[1:-1] if isinstance(value, str) else value
                for key, value in atoms.items()
            },
        )


class JsonFormatter(logging.Formatter):
    """Format gunicorn's own messages as JSON lines: ts, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, UTC)
        entry = {
            "ts": created.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # already masked when the app's filter ran first
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class JsonLogger(Logger):
    """Gunicorn's logger with JSON lines: access log on stdout, error log on stderr."""

    atoms_wrapper_class = JsonAtoms

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def now(self) -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds")

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = mask_path(environ.get("PATH_INFO", ""))
        atoms.update(U=path, q="-", r=f"{atoms['m']} {path} {atoms['H']}")
        for name in _SECRET_HEADERS:
            atoms.pop(name, None)
        return atoms


logger_class = JsonLogger


DEFAULT_DIR_PREFIX = "wisphub_api-metrics-"


def metrics_dir(configured: str, bind_port: int) -> Path:
    """Return the Prometheus multiprocess directory: the configured one or a private default."""
    if configured.strip():
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = Path(tempfile.gettempdir()) / f"{DEFAULT_DIR_PREFIX}{bind_port}"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.is_symlink() or path.stat().st_uid != os.getuid():
        # Someone else made that name in a shared /tmp: never write metrics into their directory.
        path = Path(tempfile.mkdtemp(prefix=f"{DEFAULT_DIR_PREFIX}{bind_port}-"))
    return path


def clear_metrics_dir(path: Path) -> None:
    """Delete the value files a previous run left, as prometheus_client requires at start."""
    for stale in path.glob("*.db"):
        stale.unlink()


def on_starting(server) -> None:
    """Prepare the shared metrics directory once, before any worker is forked."""
    path = metrics_dir(_setting("PROMETHEUS_MULTIPROC_DIR"), port)
    clear_metrics_dir(path)
    # Workers inherit it, and prometheus_client reads it when a worker first imports it.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    server.log.info("prometheus multiprocess directory: %s", path)


def on_exit(server) -> None:
    """Remove the default metrics directory when gunicorn stops; a configured one stays."""
    path = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""))
    if path.parent == Path(tempfile.gettempdir()) and path.name.startswith(DEFAULT_DIR_PREFIX):
        clear_metrics_dir(path)
        with contextlib.suppress(OSError):
            path.rmdir()


def child_exit(server, worker) -> None:
    """Drop the live gauges of a worker that exited, so /metrics stops reporting them."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
