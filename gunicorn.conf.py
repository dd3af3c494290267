"""Gunicorn settings of WispHub API: gevent workers behind nginx, JSON logs, shared metrics.

    .venv/bin/gunicorn -c gunicorn.conf.py "wisphub_api:create_app()"

This file configures gunicorn, not the app, so it reads its own settings (PORT, WEB_CONCURRENCY,
WORKER_CONNECTIONS, REQUEST_HEADER_TIMEOUT, OVERLOAD_*, LOG_LEVEL, PROMETHEUS_MULTIPROC_DIR) from
the environment, else from .env, as the app does. It never imports the app: each worker imports
it after gevent has patched the standard library.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from dotenv import dotenv_values
from gunicorn.glogging import Logger

from wisphub_api.serving.listeners import open_shared
from wisphub_api.serving.orphans import adopt_orphans, stop_children
from wisphub_api.serving.settings import ServingSettings

_DOTENV = dotenv_values(".env") if os.path.isfile(".env") else {}


def _setting(name: str) -> str:
    """Return a setting from the environment, else from .env; "" when unset or empty."""
    return (os.environ.get(name) or _DOTENV.get(name) or "").strip()


def _env_int(name: str, default: int) -> int:
    raw = _setting(name)
    return int(raw) if raw else default


def _env_float(name: str, default: float) -> float:
    raw = _setting(name)
    return float(raw) if raw else default


def _cpu_count() -> int:
    # The CPUs this process may run on (a container's cpuset), not every CPU of the host.
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


port = _env_int("PORT", 8000)
bind = [f"0.0.0.0:{port}"]

# gunicorn's gevent worker, made fair between connections, bounded under floods, shedding load
# with 503 when its event loop falls behind, and answering what gunicorn refuses in JSON.
worker_class = "wisphub_api.serving.worker.WispHubWorker"
# One process per core: the work is short CPU bursts (serialising from the snapshot) and waits.
workers = _env_int("WEB_CONCURRENCY", _cpu_count())
# Each worker listens on its own socket and the kernel spreads new connections evenly: one
# shared socket either woke every worker for one connection (then gunicorn accepts one per loop
# pass and new connections queue for seconds) or let one worker take a whole burst. A worker
# opens its socket only once it can answer; until one can, connections queue on one the master
# opens in on_starting (wisphub_api/serving/listeners.py).
reuse_port = True
# Connections the kernel queues per worker before accept: a burst of thousands (a reconnect
# storm, a flood) must not be dropped, which would cost each client a 1 s SYN retry. The kernel
# caps it at net.core.somaxconn (4096 on current kernels).
backlog = 4096
# Concurrent connections per worker, each a greenlet (WORKER_CONNECTIONS). Idle ones are closed,
# oldest first, when a worker nears this, so a flood of idle connections cannot lock out new
# ones; the worker raises its open-files limit to fit them.
worker_connections = _env_int("WORKER_CONNECTIONS", 4096)
# With gevent, the arbiter kills a worker whose event loop is stuck this long. A slow upstream
# call only parks its greenlet; nothing here should block the loop for 30 s.
timeout = 30
# On restart or SIGTERM, in-flight answers get this long (idle connections are closed at once).
# A cold lookup can wait on WispHub Net longer, but the snapshot is shared, so a retried request
# is usually a cache hit.
graceful_timeout = 30
# Seconds an idle keep-alive connection from nginx stays open. It MUST exceed nginx's upstream
# keepalive_timeout (60 s in deploy/nginx.conf.template): otherwise gunicorn may close a
# connection just as nginx reuses it, and that request fails with a reset (502). A new
# connection gets REQUEST_HEADER_TIMEOUT for its first request instead.
keepalive = 75
# What gunicorn itself refuses, answered in JSON by the worker: a request line over 4,094 bytes
# (414), more than 100 header fields or one over 8,190 bytes (431), anything that is not HTTP
# (400). gunicorn's defaults, stated here because they are part of the contract; nginx in front
# refuses above 8 KB first (large_client_header_buffers).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# The worker's own bounds (wisphub_api/serving/settings.py says why each default).
serving = ServingSettings(
    # Seconds a new connection may take to send its first request's headers.
    request_header_timeout=_env_float("REQUEST_HEADER_TIMEOUT", 10.0),
    # Event-loop lag (ms) past which a share of new requests is answered 503 at once; 0: never.
    shed_lag_ms=_env_float("OVERLOAD_LAG_MS", 250.0),
    # Requests inside the app per worker past which new ones get 503; 0: no limit.
    max_in_flight=_env_int("OVERLOAD_MAX_IN_FLIGHT", 1000),
    # Retry-After of those 503 answers, in seconds.
    retry_after=_env_int("OVERLOAD_RETRY_AFTER", 1),
    # The language of their sentence when Accept-Language names none: the app's setting.
    default_language=_setting("DEFAULT_LANGUAGE").lower() or "es",
)


def post_fork(server, worker) -> None:
    """Hand the serving settings to the worker, before it starts serving."""
    configure = getattr(worker, "configure", None)
    if configure is not None:  # another worker class (-k on the command line) has none
        configure(serving)


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
# No access log: each request is logged once, by the app (its route template, never the raw path
# with a phone or a document in it) or, for what never reaches the app (bad HTTP, overload), by
# the worker in the same JSON shape. gunicorn's own line per request would double both the log
# and a cached answer's cost.
accesslog = None
errorlog = "-"  # stderr


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
    """Gunicorn's logger with its messages (start, workers, errors) as JSON lines on stderr."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())


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
    """Listen, adopt orphans, prepare the metrics directory, once, before any worker is forked."""
    open_shared(server)
    # A worker's snapshot builder outlives the worker (a HUP lets its build finish); the master
    # stops it in on_exit, so that it releases the Redis fetch lock (serving/orphans.py).
    adopt_orphans()
    path = metrics_dir(_setting("PROMETHEUS_MULTIPROC_DIR"), port)
    clear_metrics_dir(path)
    # Workers inherit it, and prometheus_client reads it when a worker first imports it.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    server.log.info("prometheus multiprocess directory: %s", path)


def on_exit(server) -> None:
    """Stop the builders the workers left, and remove the default metrics directory."""
    stop_children()
    path = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""))
    if path.parent == Path(tempfile.gettempdir()) and path.name.startswith(DEFAULT_DIR_PREFIX):
        clear_metrics_dir(path)
        with contextlib.suppress(OSError):
            path.rmdir()


def child_exit(server, worker) -> None:
    """Drop the live gauges of a worker that exited, so /metrics stops reporting them."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
