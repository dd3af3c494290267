"""Domain services, built once per app and kept in ``app.extensions``."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

logger = logging.getLogger("wisphub_api.services")

EXTENSION_KEY = "wisphub_api.services"


@dataclass
class Services:
    """Everything a view needs, wired from the app's settings."""

    upstream: Any
    directory: Any
    plans: Any
    identity: Any
    stores: list[Any] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start_background(self) -> None:
        """Warm the snapshots now and keep them fresh, without delaying start-up."""
        threading.Thread(target=self._loop, name="snapshot-refresher", daemon=True).start()

    def stop_background(self) -> None:
        """Stop the background loop and further background refreshes (tests, shutdown)."""
        self._stop.set()
        for store in self.stores:
            store.closed = True

    def _loop(self) -> None:
        interval = min(max(0.05, (s.ttl - s.refresh_after) / 4) for s in self.stores)
        interval = min(interval, 5.0)
        while not self._stop.is_set():
            for store in self.stores:
                try:
                    store.refresh_if_due()
                except Exception:  # never let the refresher die; the next tick retries
                    logger.exception("background refresh of %s crashed", store.name)
            self._stop.wait(interval)


def init_services(app: Flask) -> None:
    """Build the upstream client, the snapshots and the verifier for ``app``."""
    from wisphub_api.services.wiring import build_services

    services = build_services(app)
    app.extensions[EXTENSION_KEY] = services
    if app.config["WARMUP_ON_START"]:
        services.start_background()


def current_services() -> Services:
    """Return the services of the app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
