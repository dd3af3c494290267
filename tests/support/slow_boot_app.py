"""A WSGI app whose creation is slow, to see where connections go while a worker boots.

The first worker to create it takes ``FAST_BOOT_SECONDS`` (default 0), every later one
``SLOW_BOOT_SECONDS``; which is first is decided by who creates the file ``BOOT_MARKER``. Each
answer names the worker's pid, so a test can tell which worker served it; ``/slow`` answers after
``SLOW_ANSWER_SECONDS`` (default 1), a request in flight for a stop to wait for.
"""

from __future__ import annotations

import os
import time
from typing import Any


def create_app() -> Any:
    """Sleep as this worker's turn says, then return a WSGI callable answering its pid."""
    try:
        os.close(os.open(os.environ["BOOT_MARKER"], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        delay = float(os.environ.get("FAST_BOOT_SECONDS", "0"))
    except FileExistsError:
        delay = float(os.environ["SLOW_BOOT_SECONDS"])
    time.sleep(delay)
    body = str(os.getpid()).encode()
    slow_answer = float(os.environ.get("SLOW_ANSWER_SECONDS", "1"))

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/slow":
            time.sleep(slow_answer)  # gevent's sleep in a worker: other connections go on
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app
