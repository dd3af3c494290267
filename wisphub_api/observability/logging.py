"""JSON log lines on stderr, one per request too, with personal data and keys masked."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request
from flask.logging import default_handler

from wisphub_api.observability.context import elapsed_seconds, route_template
from wisphub_api.observability.request_id import current_request_id

APP_LOGGER = "wisphub_api"
REQUEST_LOGGER = "wisphub_api.request"
# Attributes a record may carry (via ``extra``) that become fields of its JSON line.
REQUEST_FIELDS = ("method", "route", "status", "duration_ms", "remote_addr", "cache")
# Polled by load balancers and Prometheus every few seconds: logged at DEBUG only.
QUIET_ROUTES = frozenset({"/health", "/health/ready", "/metrics"})
# Gunicorn's own loggers in a worker; its error log quotes raw paths ("Error handling request").
GUNICORN_LOGGERS = ("gunicorn.error",)
MASK = "***"
_HANDLER_MARK = "_wisphub_api_json"

# Documents and phone numbers: any run of 6 digits or more.
_DIGITS = re.compile(r"\d{6,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# "X-API-Key: v", "'X-API-Key': 'v'", "api_key=v" and WispHub's "Authorization: Api-Key v".
_KEY_VALUE = re.compile(
    r"(?i)(\b(?:x-)?api[-_]?key[\"']?(?:\s*[:=]\s*[\"']?|\s+))[A-Za-z0-9._~+/=-]{8,}"
)


class MaskingFilter(logging.Filter):
    """Mask documents, phones, e-mails and keys in a record: a second line of defence."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._secret_pattern: re.Pattern[str] | None = None

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Also mask these exact values (the configured keys) wherever they appear."""
        with self._lock:
            # Very short values would mask ordinary words; keys are far longer.
            self._secrets.update(s for s in secrets if s and len(s) >= 6)
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._secret_pattern = (
                re.compile("|".join(map(re.escape, ordered))) if ordered else None
            )

    def mask(self, text: str) -> str:
        """Return ``text`` with every personal or secret value replaced by ``***``."""
        if self._secret_pattern is not None:
            text = self._secret_pattern.sub(MASK, text)
        text = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)
        text = _EMAIL.sub(MASK, text)
        return _DIGITS.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the message, the traceback and the request fields of ``record``; keep it."""
        try:
            record.msg = self.mask(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.mask(record.exc_text)
            if record.stack_info:
                record.stack_info = self.mask(record.stack_info)
            for name in REQUEST_FIELDS:
                value = getattr(record, name, None)
                if isinstance(value, str):
                    setattr(record, name, self.mask(value))
        except Exception:  # a filter that raises would break the caller's logging call
            record.msg, record.args = "log record could not be masked", None
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: ts, level, logger, message, request_id, fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line of ``record``."""
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


MASKING_FILTER = MaskingFilter()


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


def log_request(response: Response) -> Response:
    """Log one line for the request: method, route template, status, time, caller, cache."""
    route = route_template()
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    logger = logging.getLogger(REQUEST_LOGGER)
    if logger.isEnabledFor(level):
        fields = {
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(elapsed_seconds() * 1000, 2),
            "remote_addr": request.remote_addr,
            "cache": response.headers.get("X-Cache"),
        }
        logger.log(level, "%s %s %s", request.method, route, response.status_code, extra=fields)
    return response


def _secrets(app: Flask) -> list[str]:
    keys = app.config.get("WISPHUB_INTERNAL_API_KEY") or []
    if isinstance(keys, str):
        keys = [keys]
    return [*keys, app.config.get("WISPHUB_NET_KEY") or ""]


def init_app(app: Flask) -> None:
    """Configure JSON logging from LOG_LEVEL and log every request of ``app``."""
    configure_logging(str(app.config.get("LOG_LEVEL", "INFO")).upper(), _secrets(app))
    app.after_request(log_request)
