"""The one launcher of the sandbox, gunicorn and nginx for tests, benchmarks and the CI smoke.

It lives in ``benchmarks`` because both the tests and the benchmarks import it and neither needs
the app for that: nothing here imports Flask or ``wisphub_api``'s app (only the sandbox's options,
and its listening line when a sandbox starts). Every process runs in its own session on a free
port of 127.0.0.1 and every stop is SIGTERM, a bounded wait, then SIGKILL to its process group.
"""

from benchmarks.stack.gunicorn import APP_SPEC, GUNICORN_CONF, Gunicorn
from benchmarks.stack.nginx import NGINX_TEMPLATE, Nginx, nginx_binary
from benchmarks.stack.probe import Answer, call, json_lines
from benchmarks.stack.processes import (
    ROOT,
    StackError,
    busy_seconds,
    child_pids,
    free_port,
    machine_busy_seconds,
    process_cpu_seconds,
    start_process,
    stop_process,
)
from benchmarks.stack.sandbox import Sandbox

__all__ = [
    "APP_SPEC",
    "GUNICORN_CONF",
    "NGINX_TEMPLATE",
    "ROOT",
    "Answer",
    "Gunicorn",
    "Nginx",
    "Sandbox",
    "StackError",
    "busy_seconds",
    "call",
    "child_pids",
    "free_port",
    "json_lines",
    "machine_busy_seconds",
    "nginx_binary",
    "process_cpu_seconds",
    "start_process",
    "stop_process",
]
