"""Remote ping (`POST /api/clientes/{id}/ping/` -> 202 task) and task polling (`/api/tasks/`)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response

from wisphub_api.sandbox.ping import ping_outcome
from wisphub_api.sandbox.web import (
    NOT_FOUND_BODY,
    bad_request,
    count_rows,
    json_response,
    request_fields,
    state,
)

bp = Blueprint("sandbox_diagnostics", __name__)

MAX_PINGS = 10
TRUE_WORDS, FALSE_WORDS = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no", ""})


def _pings(body: dict[str, Any]) -> int | None:
    value = body.get("pings")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is not int or not 1 <= value <= MAX_PINGS:
        return None
    return value


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    return None


def _interface(body: dict[str, Any]) -> tuple[bool, str | None]:
    value = body.get("interfaz")
    if value in (None, ""):
        return True, None
    return isinstance(value, str), value if isinstance(value, str) else None


@bp.post("/api/clientes/<int:service_id>/ping/")
def ping_client(service_id: int) -> Response:
    """Start pinging the client's equipment from its router; 202 with the task id."""
    sandbox = state()
    record = sandbox.dataset.by_id.get(service_id)
    if record is None:
        return json_response(NOT_FOUND_BODY, 404)
    body = request_fields()
    if body is None:
        return bad_request("El cuerpo debe ser un objeto JSON o un formulario.")
    pings = _pings(body)
    if pings is None:
        return bad_request(f"pings: se requiere un número entero entre 1 y {MAX_PINGS}.")
    valid, interfaz = _interface(body)
    if not valid or _flag(body.get("arp_ping", False)) is None:
        return bad_request("interfaz debe ser texto y arp_ping un booleano.")
    gateway = sandbox.router_ips.get(record.row["router"]["id"], "10.10.0.1")
    outcome, result = ping_outcome(sandbox.options.seed, record.row, pings, interfaz, gateway)
    task_id = sandbox.tasks.add(outcome, result, sandbox.knobs.task_seconds)
    count_rows(1)
    return json_response({"task_id": task_id, "status": "PROCESS"}, 202)


@bp.get("/api/tasks/<task_id>/")
def show_task(task_id: str) -> Response:
    """Show a task's status and, once it ended, its result."""
    try:
        uuid.UUID(task_id)
    except ValueError:
        return json_response(NOT_FOUND_BODY, 404)
    count_rows(1)
    return json_response({"task": state().tasks.status(task_id)})
