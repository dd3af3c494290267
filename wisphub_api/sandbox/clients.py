"""`/api/clientes/` endpoints: list, detail, perfil and saldo (the ping is in diagnostics)."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, request

from wisphub_api.sandbox.dataset import PROFILE_FIELDS, ClientRecord
from wisphub_api.sandbox.filters import filter_clients, without
from wisphub_api.sandbox.web import fault_mode, found, json_response, paginated, state

bp = Blueprint("sandbox_clients", __name__)

MISSING_FIELDS = ("id_servicio", "nombre")
TEXT_FIELDS = PROFILE_FIELDS[:7]


def _shape(mode: str | None) -> Any:
    def shape(record: ClientRecord) -> dict[str, Any]:
        row = record.row
        if mode == "missing_fields" and row["id_servicio"] % 10 == 0:
            return without(row, MISSING_FIELDS)
        return row

    return shape


@bp.get("/api/clientes/")
def list_clients() -> Response:
    """List clients, filtered like upstream, one limit/offset page at a time."""
    mode = fault_mode()
    records = filter_clients(state().dataset.records, request.args)
    return paginated(records, _shape(mode))


@bp.get("/api/clientes/<int:service_id>/")
def show_client(service_id: int) -> Response:
    """Show one client with the detail field set."""
    return found(state().dataset.detail(service_id))


def _is_amount(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def profile_error(body: object) -> str | None:
    """Return why a perfil PUT body is unacceptable, or None when it is fine."""
    if not isinstance(body, dict):
        return "El cuerpo debe ser un objeto JSON."
    unknown = sorted(set(body) - set(PROFILE_FIELDS))
    if unknown:
        return f"Campos no permitidos: {', '.join(unknown)}."
    wrong = [key for key in TEXT_FIELDS if key in body and not isinstance(body[key], str)]
    if wrong:
        return f"Deben ser texto: {', '.join(wrong)}."
    if "saldo" in body and not _is_amount(body["saldo"]):
        return "saldo debe ser un número."
    return None


@bp.route("/api/clientes/<int:service_id>/perfil/", methods=["GET", "PUT"])
def client_profile(service_id: int) -> Response:
    """Show or update a client's profile; updates show in every later read."""
    dataset = state().dataset
    if request.method == "GET" or service_id not in dataset.by_id:
        return found(dataset.profile(service_id))
    body = request.get_json(force=True, silent=True)
    error = profile_error(body)
    if error is not None or not isinstance(body, dict):
        return json_response({"error": error}, 400)
    return found(dataset.update_profile(service_id, body))


@bp.get("/api/clientes/<int:service_id>/saldo")
def client_balance(service_id: int) -> Response:
    """Show a client's balance as a number, with its unpaid invoices (canonical: no slash)."""
    return found(state().billing.balance(service_id))
