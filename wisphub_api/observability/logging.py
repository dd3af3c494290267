"""JSON log lines on stderr, one per request too, with personal data and keys masked."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.logging import default_handler

from wisphub_api.observability.masking import MASK, MASKING_FILTER, REQUEST_FIELDS, MaskingFilter
from wisphub_api.observability.request_id import current_request_id
from wisphub_api.observability.requestlog import JSON_LINE, REQUEST_LOGGER

APP_LOGGER = "wisphub_api"
# Gunicorn's own loggers in a worker; its error log quotes raw paths ("Error handling request").
GUNICORN_LOGGERS = ("gunicorn.error",)
_HANDLER_MARK = "_wisphub_api_json"
# Masking lives in its own Flask-free module (the gunicorn worker uses it); its names stay here.
__all__ = [
    "APP_LOGGER",
    "MASK",
    "MASKING_FILTER",
    "REQUEST_LOGGER",
    "JsonFormatter",
    "MaskingFilter",
    "StderrHandler",
    "configure_logging",
]


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: ts, level, logger, message, request_id, fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line of ``record``."""
        line = getattr(record, JSON_LINE, None)
        if line is not None:  # a request line, rendered once by requestlog
            return str(line)
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is at each record (pytest swaps it per test)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stderr


def configure_logging(level: str, secrets: Iterable[str] = ()) -> logging.Handler:
    """Send JSON lines to stderr once per process, however many apps are created."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, _HANDLER_MARK, False)), None)
    if handler is None:
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(MASKING_FILTER)
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    app_logger = logging.getLogger(APP_LOGGER)  # also Flask's app.logger (the app's name)
    app_logger.removeHandler(default_handler)  # Flask's plain-text handler would log twice
    app_logger.setLevel(level)
    MASKING_FILTER.add_secrets(secrets)
    # urllib3 writes upstream URLs, query included (cedula=, telefono=), at DEBUG and in its
    # WARNING "Retrying ..." lines. The upstream client logs each failure without them.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    for name in GUNICORN_LOGGERS:
        for other in logging.getLogger(name).handlers:
            if MASKING_FILTER not in other.filters:
                other.addFilter(MASKING_FILTER)
    return handler


def _secrets(app: Flask) -> list[str]:
    keys = app.config.get("WISPHUB_INTERNAL_API_KEY") or []
    if isinstance(keys, str):
        keys = [keys]
    return [*keys, app.config.get("WISPHUB_NET_KEY") or ""]


def init_app(app: Flask) -> None:
    """Configure JSON logging from LOG_LEVEL (the request lines come from the answer hook)."""
    configure_logging(str(app.config.get("LOG_LEVEL", "INFO")).upper(), _secrets(app))
