"""Serve the sandbox with gevent's WSGI server (hundreds of concurrent connections)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

import gevent
from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

from wisphub_api.sandbox.app import create_app
from wisphub_api.sandbox.options import SandboxOptions, parse_options
from wisphub_api.sandbox.web import DropConnection

MAX_CONNECTIONS = 10_000
BACKLOG = 1024  # gevent's default of 128 refuses bursts of a few hundred connections
STOP_TIMEOUT_SECONDS = 1.0  # held (stalled) calls are cut after this on SIGTERM/SIGINT
LISTENING = "WISPHUB SANDBOX listening on "  # + the URL: the one line launchers wait for


class SandboxHandler(WSGIHandler):
    """A pywsgi handler that can hang up without answering (the `down` fault)."""

    def run_application(self) -> None:
        """Run the app; on DropConnection close the connection with nothing sent."""
        try:
            super().run_application()
        except DropConnection:
            self.close_connection = True


def build_server(options: SandboxOptions) -> WSGIServer:
    """Create (not start) the server for `options`."""
    return WSGIServer(
        (options.host, options.port),
        create_app(options),
        handler_class=SandboxHandler,
        spawn=Pool(MAX_CONNECTIONS),
        backlog=BACKLOG,
        log=None,
    )


def serve(options: SandboxOptions) -> None:
    """Start, announce the real address on stdout, and serve until SIGTERM or SIGINT."""
    server = build_server(options)
    server.start()
    print(f"{LISTENING}http://{options.host}:{server.server_port}", flush=True)
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, server.close)
    server.serve_forever(stop_timeout=STOP_TIMEOUT_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `python -m wisphub_api.sandbox`."""
    serve(parse_options(argv))
    sys.stdout.flush()
    return 0
