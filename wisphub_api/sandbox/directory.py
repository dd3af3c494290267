"""Catalogues for support and billing: staff with names, router addresses, payment methods.

Drawn from an RNG stream of their own, so the client rows (drawn from the seed's main stream)
stay byte-identical whatever is added here.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

from wisphub_api.sandbox import names
from wisphub_api.sandbox.catalog import Infrastructure

ADMIN_ID = 6030000  # the staff user the sandbox's keys belong to (creado_por of API tickets)
ADMIN_USERNAME = "admin@isp-demo"
# WispHub's demo tenant lists 7 "efectivo"; the rest are what Colombian ISPs commonly accept.
PAYMENT_METHODS: tuple[dict[str, Any], ...] = (
    {"id": 7, "nombre": "Efectivo"},
    {"id": 8, "nombre": "Transferencia Bancaria"},
    {"id": 9, "nombre": "Nequi"},
    {"id": 10, "nombre": "Daviplata"},
    {"id": 11, "nombre": "PSE"},
    {"id": 12, "nombre": "Tarjeta de Crédito"},
)
PAYMENT_METHOD_IDS: frozenset[int] = frozenset(method["id"] for method in PAYMENT_METHODS)


@dataclass(frozen=True, slots=True)
class StaffMember:
    """One `/api/staff/` row."""

    id: int
    username: str
    nombre: str
    email: str

    def item(self) -> dict[str, Any]:
        """Return the list item {id, username, nombre, email}."""
        return asdict(self)


def _member(rng: random.Random, staff_id: int) -> StaffMember:
    pool = names.FEMALE_NAMES if rng.random() < 0.5 else names.MALE_NAMES
    given, surname = rng.choice(pool).split()[0], rng.choice(names.SURNAMES)
    handle = f"{names.fold(given)}.{names.fold(surname).split()[0]}"
    return StaffMember(
        staff_id, f"{handle}@isp-demo", f"{given} {surname}", f"{handle}@isp-demo.co"
    )


def build_staff(seed: int, infra: Infrastructure) -> tuple[StaffMember, ...]:
    """Name the admin and every technician the client rows point at (tecnico.id)."""
    rng = random.Random(f"{seed}:staff")
    admin = StaffMember(ADMIN_ID, ADMIN_USERNAME, "Administrador Sandbox", "admin@isp-demo.co")
    return (admin, *(_member(rng, tech["id"]) for tech in infra.technicians))


def router_ip(index: int) -> str:
    """Return the management address of the router of zone `index`."""
    return f"10.10.{index + 1}.1"


def router_items(infra: Infrastructure) -> list[dict[str, Any]]:
    """Return the `/api/router/` rows: the client rows' router objects plus an address."""
    rows = []
    for index, router in enumerate(infra.routers):
        rows.append(
            {
                "id": router["id"],
                "nombre": router["nombre"],
                "ip": router_ip(index),
                "falla_general": router["falla_general"],
                "falla_general_descripcion": router["falla_general_descripcion"],
            }
        )
    return rows
