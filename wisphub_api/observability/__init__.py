"""Observability: request ids, JSON logs and Prometheus metrics, wired by ``init_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the gunicorn worker imports requestlog from here before Flask is loaded
    from flask import Flask


def init_app(app: Flask) -> None:
    """Give every answer a request id, log each request as JSON and count it for /metrics."""
    from wisphub_api.extensions import METRICS_KEY
    from wisphub_api.observability import answer, context, hooks, metrics
    from wisphub_api.observability import logging as json_logging

    if METRICS_KEY in app.extensions:
        return  # already wired: hooks registered twice would log and count twice
    context.install_middleware(app)
    json_logging.init_app(app)
    hooks.instrument_services(app, metrics.init_app(app))
    app.after_request(answer.finish_request)
