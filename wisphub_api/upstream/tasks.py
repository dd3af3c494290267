"""Remote ping tasks as WispHub Net reports them, reduced to what a verdict needs.

``GET /api/tasks/{id}/`` answers ``{"task": {"status", "result"}}`` (Celery's words). A finished
ping's result is a list of one-key objects, ``{"ping-N": <line>}`` then ``{"ping-exitoso": "k de
n"}``; a line is a dict of strings (MikroTik's /ping columns) or a MikroTik error string. Hosts
are addresses of the subscriber's equipment: only their kind (private, MAC, public) is kept,
and an error string only as the kind of error, so nothing read here holds an address.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import UpstreamBadResponse

# Celery's states: these mean "wait"; SUCCESS and FAILURE end a task; REVOKED ends it too.
WAITING = frozenset({"PENDING", "PROCESS", "STARTED", "RECEIVED", "RETRY"})
FAILED = frozenset({"FAILURE", "REVOKED"})
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
_RTT = re.compile(r"^(?:(\d+(?:\.\d+)?)ms)?(?:(\d+)us)?$")
# What WispHub's task ids look like (Celery uuids); anything else never goes into a URL.
TASK_ID = re.compile(r"^[A-Za-z0-9-]{1,100}$")
# MikroTik error strings we can name (the rest are "router_error").
ERROR_KINDS = {"input does not match any value of interface": "interface_mismatch"}


@dataclass(frozen=True, slots=True)
class PingReply:
    """One ping line: who it was sent to (by kind), whether it was answered, and how fast."""

    host_kind: str  # private | mac | public | unknown
    replied: bool
    rtt_ms: float | None


@dataclass(frozen=True, slots=True)
class PingError:
    """A line MikroTik answered with an error string instead of a ping result."""

    kind: str  # interface_mismatch | router_error


PingLine = PingReply | PingError


@dataclass(frozen=True, slots=True)
class TaskState:
    """A ping task: ``pending``, ``success`` (with its lines) or ``failure``."""

    status: str
    lines: tuple[PingLine, ...] = ()


def host_kind(host: Any) -> str:
    """Classify a ping host: a non-global IP is the subscriber's side, a MAC too."""
    if not isinstance(host, str) or not host.strip():
        return "unknown"
    text = host.strip()
    if _MAC.match(text):
        return "mac"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return "unknown"
    return "public" if address.is_global else "private"


def rtt_ms(value: Any) -> float | None:
    """Return MikroTik's "1ms287us", "678us" or "12ms" in milliseconds; None otherwise."""
    match = _RTT.match(value.strip()) if isinstance(value, str) else None
    if match is None or not any(match.groups()):
        return None
    millis, micros = match.groups()
    return float(millis or 0) + int(micros or 0) / 1000


def _line(value: Any) -> PingLine:
    if isinstance(value, str):
        return PingError(ERROR_KINDS.get(" ".join(value.split()).casefold(), "router_error"))
    if not isinstance(value, Mapping):
        raise UpstreamBadResponse("WispHub Net sent a ping line that is neither text nor object")
    failed = bool(str(value.get("status") or "").strip())
    time = rtt_ms(value.get("time"))
    replied = not failed and time is not None
    return PingReply(host_kind(value.get("host")), replied, time if replied else None)


def task_from_body(body: Any) -> TaskState:
    """Read a ``GET /api/tasks/{id}/`` body; raise UpstreamBadResponse if it is not one."""
    task = body.get("task") if isinstance(body, Mapping) else None
    status = task.get("status") if isinstance(task, Mapping) else None
    if not isinstance(task, Mapping) or not isinstance(status, str):
        raise UpstreamBadResponse("WispHub Net sent a task without a status")
    status = status.strip().upper()
    if status in WAITING:
        return TaskState("pending")
    if status in FAILED:
        return TaskState("failure")  # its result is a sentence: never kept
    if status != "SUCCESS":
        raise UpstreamBadResponse("WispHub Net sent a task in an unknown state")
    result = task.get("result")
    if not isinstance(result, list):
        raise UpstreamBadResponse("WispHub Net sent a finished ping without its lines")
    lines = [
        _line(value)
        for item in result
        if isinstance(item, Mapping)
        for key, value in item.items()
        if key.startswith("ping-") and key != "ping-exitoso"
    ]
    return TaskState("success", tuple(lines))
