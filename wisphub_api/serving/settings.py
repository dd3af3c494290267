"""The worker's own settings; gunicorn.conf.py reads them from the environment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServingSettings:
    """How the worker bounds connections and sheds load (defaults suit a 2-core host)."""

    # Seconds a new connection may take to send its request line and headers. Bots and nginx
    # send at once; a connection that stays silent only holds a slot (a flood, a port scan).
    request_header_timeout: float = 10.0
    # Connections accepted per event-loop pass. Each worker has its own listening socket
    # (reuse_port), so accepting many at once takes nothing from another worker.
    max_accept: int = 100
    # Share of worker_connections kept free by closing the oldest idle connections, so that a
    # flood of idle connections can never lock out a new one.
    idle_reserve: float = 0.1
    # Event-loop lag the worker holds requests to (0 turns shedding off): while the lag stays
    # beyond it, a share of new requests is refused with 503, just enough to bring it back
    # (admission.py). A worker serving from memory answers in about a millisecond, and a burst of
    # a hundred cold requests released at once keeps the loop busy a couple of hundred; past
    # this, work is queueing. Measured at twice the sustainable rate, when every request was
    # refused past the limit: 100 ms refused 8 % at 0.5x of it already; 500 ms let answers wait
    # over 1 s.
    shed_lag_ms: float = 250.0
    # Requests inside the app at once per worker beyond which new ones get 503 (0: no limit).
    # Requests waiting on WispHub Net hold a slot without using the CPU, so this is generous.
    max_in_flight: int = 1000
    # Seconds a refused client is asked to wait (Retry-After).
    retry_after: int = 1
    # How often the event loop's lag is probed, in seconds.
    lag_probe_seconds: float = 0.01
    # Language of the worker's own refusals when Accept-Language names none (DEFAULT_LANGUAGE).
    default_language: str = "es"
