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
import math
import os
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

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


# Random bytes read from the OS 4 KiB at a time (one read for 256 ids, not one per request).
_RANDOM_CHUNK = 4096
_random = bytearray()


def new_request_id() -> str:
    """Return a fresh request id: 32 random hex digits (from ``secrets``, as token_hex)."""
    global _random
    if len(_random) < 16:
        _random = bytearray(secrets.token_bytes(_RANDOM_CHUNK))
    chunk = _random[-16:]
    del _random[-16:]
    return chunk.hex()


def _forget_random() -> None:
    _random.clear()  # a forked worker must never hand out its parent's ids


os.register_at_fork(after_in_child=_forget_random)


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
    """Return the JSON line of one request (no newline).

    The same text as ``json.dumps`` of the entry with ``ensure_ascii=False``, written field by
    field with json's own string encoder: a dictionary and json's generic encoder per request
    cost several times more.
    """
    method = MASKING_FILTER.mask_cached(method)
    address = MASKING_FILTER.mask_cached(remote_addr) if remote_addr else remote_addr
    moment = datetime.fromtimestamp(time.time() if created is None else created, UTC)
    return _LINE % (
        _encode(moment.isoformat(timespec="milliseconds")),
        _json(level),
        _encode(f"{method} {route} {status}"),
        _json(request_id),
        _json(method),
        _json(route),
        _json(status),
        _json(duration_ms),
        _json(address),
        _json(cache),
    )


# The entry's keys in their order; ``logger`` is always this one.
_LINE = (
    '{"ts": %s, "level": %s, "logger": '
    + json.dumps(REQUEST_LOGGER)
    + ', "message": %s, "request_id": %s, "method": %s, "route": %s, "status": %s, '
    '"duration_ms": %s, "remote_addr": %s, "cache": %s}'
)
_encode = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


def _json(value: Any) -> str:
    """Return ``value`` as json.dumps writes it."""
    kind = type(value)
    if kind is str:
        return _encode(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


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
