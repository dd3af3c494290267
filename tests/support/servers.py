"""The production servers for tests: gunicorn with gunicorn.conf.py, and nginx.

Both come from the one launcher (`benchmarks.stack`): subprocesses in their own sessions, bounded
waits, every stop a SIGTERM, a bounded wait and a SIGKILL to the process group. The names below are
the ones the tests import.
"""

from __future__ import annotations

from benchmarks.stack import (
    GUNICORN_CONF,
    NGINX_TEMPLATE,
    ROOT,
    Answer,
    call,
    free_port,
    json_lines,
)
from benchmarks.stack import Gunicorn as GunicornServer
from benchmarks.stack import Nginx as NginxServer

__all__ = [
    "GUNICORN_CONF",
    "NGINX_TEMPLATE",
    "ROOT",
    "Answer",
    "GunicornServer",
    "NginxServer",
    "call",
    "free_port",
    "json_lines",
]
