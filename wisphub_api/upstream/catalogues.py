"""WispHub Net's support catalogues: zones, routers (with their outage flag) and staff."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import UpstreamBadResponse


@dataclass(frozen=True, slots=True)
class Zone:
    """One ``/api/zonas/`` row."""

    zone_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Router:
    """One ``/api/router/`` row; its address and the failure's free-text description are dropped.

    ``general_failure`` is WispHub's ``falla_general``: the ISP marked a known failure there.
    """

    router_id: int
    name: str
    general_failure: bool


@dataclass(frozen=True, slots=True)
class StaffMember:
    """One ``/api/staff/`` row: its id is what tickets name as ``tecnico`` (no e-mail kept)."""

    staff_id: int
    name: str


def _id(row: Any, what: str) -> int:
    value = row.get("id") if isinstance(row, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UpstreamBadResponse(f"WispHub Net sent a {what} row without a valid id")
    return value


def _name(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def zone_from_row(row: Any) -> Zone:
    """Build a Zone from one ``/api/zonas/`` row."""
    return Zone(zone_id=_id(row, "zone"), name=_name(row, "nombre"))


def router_from_row(row: Any) -> Router:
    """Build a Router from one ``/api/router/`` row; ``falla_general`` must be a boolean."""
    router_id = _id(row, "router")
    flag = row.get("falla_general", False)
    if not isinstance(flag, bool):
        raise UpstreamBadResponse("WispHub Net sent a router whose falla_general is not a boolean")
    return Router(router_id=router_id, name=_name(row, "nombre"), general_failure=flag)


def staff_from_row(row: Any) -> StaffMember:
    """Build a StaffMember from one ``/api/staff/`` row."""
    staff_id = _id(row, "staff")
    return StaffMember(staff_id=staff_id, name=_name(row, "nombre") or _name(row, "username"))
