"""One JSON line per request, through ``logging`` at half its usual cost per record.

The app writes it from its after-request hook; the gunicorn worker writes it for the requests the
app never sees (refused by gunicorn's parser, shed under overload). The line is rendered here, once,
and travels as a plain LogRecord (no caller lookup, no ``%`` formatting) that our JSON formatter
passes through as it is and the masking filter leaves alone: the route is a template by
construction and the two fields a caller can shape (method, address) are masked here. Levels,
handlers and log capture work as for any other record. This module imports neither Flask nor
gevent.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime

from wisphub_api.observability.masking import MASKING_FILTER

REQUEST_LOGGER = "wisphub_api.request"
# What a request that matched no rule is logged as: never its raw path, which can hold a
# document or a phone number.
UNMATCHED_ROUTE = "<unmatched>"
# Polled by load balancers and Prometheus every few seconds: logged at DEBUG only.
QUIET_ROUTES = frozenset({"/health", "/health/ready", "/metrics"})

# The attribute of a record that holds its finished JSON line.
JSON_LINE = "json_line"

REQUEST_ID_HEADER = "X-Request-ID"
# Short and free of spaces, quotes and control characters, so it is safe in logs and headers.
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_logger = logging.getLogger(REQUEST_LOGGER)


def is_valid_request_id(value: str) -> bool:
    """Tell whether a caller's request id may be kept as it is."""
    return _VALID_ID.fullmatch(value) is not None


def new_request_id() -> str:
    """Return a fresh request id: 32 random hex digits."""
    return secrets.token_hex(16)


def request_id_from(given: str | None) -> str:
    """Return the caller's request id when it is sane, else a new one."""
    return given if given and is_valid_request_id(given) else new_request_id()


def request_line(
    *,
    method: str,
    route: str,
    status: int,
    duration_ms: float,
    remote_addr: str | None,
    cache: str | None,
    request_id: str | None,
    level: str = "INFO",
    created: float | None = None,
) -> str:
    """Return the JSON line of one request (no newline)."""
    method = MASKING_FILTER.mask(method)
    address = MASKING_FILTER.mask(remote_addr) if remote_addr else remote_addr
    moment = datetime.fromtimestamp(time.time() if created is None else created, UTC)
    entry = {
        "ts": moment.isoformat(timespec="milliseconds"),
        "level": level,
        "logger": REQUEST_LOGGER,
        "message": f"{method} {route} {status}",
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": duration_ms,
        "remote_addr": address,
        "cache": cache,
    }
    return json.dumps(entry, ensure_ascii=False)


def log_request_line(
    *,
    method: str,
    route: str,
    status: int,
    duration_ms: float,
    remote_addr: str | None,
    cache: str | None,
    request_id: str | None,
) -> None:
    """Log one request's line, unless LOG_LEVEL silences it."""
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    if not _logger.isEnabledFor(level):
        return
    message = f"{method} {route} {status}"
    record = logging.LogRecord(REQUEST_LOGGER, level, "", 0, message, None, None)
    line = request_line(
        method=method,
        route=route,
        status=status,
        duration_ms=duration_ms,
        remote_addr=remote_addr,
        cache=cache,
        request_id=request_id,
        level=record.levelname,
        created=record.created,
    )
    record.__dict__.update(
        method=method,
        route=route,
        status=status,
        duration_ms=duration_ms,
        remote_addr=remote_addr,
        cache=cache,
        request_id=request_id,
        json_line=line,
    )
    _logger.handle(record)
