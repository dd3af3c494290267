"""Catalogue lists: `/api/zonas/`, `/api/router/`, `/api/staff/`, `/api/formas-de-pago/`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from wisphub_api.sandbox.directory import PAYMENT_METHODS, StaffMember, router_items
from wisphub_api.sandbox.web import paginated, state

bp = Blueprint("sandbox_catalogs", __name__)


def _copy(item: dict[str, Any]) -> dict[str, Any]:
    return dict(item)


@bp.get("/api/zonas/")
def list_zones() -> Response:
    """List zones as {id, nombre}."""
    return paginated(state().dataset.infra.zones, _copy)


@bp.get("/api/router/")
def list_routers() -> Response:
    """List routers as {id, nombre, ip, falla_general, falla_general_descripcion}."""
    return paginated(router_items(state().dataset.infra), _copy)


@bp.get("/api/staff/")
def list_staff() -> Response:
    """List staff users as {id, username, nombre, email} (technicians' ids are tecnico ids)."""
    return paginated(state().staff, StaffMember.item)


@bp.get("/api/formas-de-pago/")
def list_payment_methods() -> Response:
    """List payment methods as {id, nombre}."""
    return paginated(PAYMENT_METHODS, _copy)
