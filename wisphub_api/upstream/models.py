"""Immutable values read from WispHub Net, with English field names."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Client:
    """One WispHub service (a subscriber's connection), as the list endpoint describes it."""

    service_id: int
    name: str | None
    document: str | None
    phone: str | None  # every number, joined with "," (the HTTP contract)
    phones: tuple[str, ...]  # normalised phone keys for lookup (see phones.normalize_phone)
    address: str | None
    city: str | None
    locality: str | None
    service_status: str | None  # estado
    payment_status: str | None  # estado_facturas
    zone_id: int | None
    antenna_ip: str | None
    cut_off_date: str | None  # ISO YYYY-MM-DD
    outstanding_balance: float | None
    lan_interface: str | None
    internet_plan_name: str | None
    internet_plan_price: float | None
    technician_id: int | None
    # Kept for the support and billing services, never answered (see CLIENT_INTERNAL_FIELDS).
    router_id: int | None = None  # the router serving it: its falla_general is a known outage
    username: str | None = None  # WispHub's usuario: the invoices' `cliente` filter

    def to_public(self) -> dict[str, Any]:
        """Return the contract's fields in the contract's order: the one client serialiser."""
        return {name: getattr(self, name) for name in CLIENT_PUBLIC_FIELDS}


# Fields of Client kept for lookups, never answered.
CLIENT_INTERNAL_FIELDS = frozenset({"phones", "router_id", "username"})
# The HTTP contract's Client fields, in its order: Client's fields but the internal ones. The
# marshmallow ClientSchema lists the same names (with their types and docs); a test binds them.
CLIENT_PUBLIC_FIELDS: tuple[str, ...] = tuple(
    field.name for field in fields(Client) if field.name not in CLIENT_INTERNAL_FIELDS
)


@dataclass(frozen=True, slots=True)
class Listing:
    """A complete client listing: exactly `count` distinct services, read at `fetched_at`."""

    clients: tuple[Client, ...]
    count: int
    fetched_at: float  # time.time() when the first page was requested: the data's minimum age

    def __len__(self) -> int:
        return len(self.clients)

    def __iter__(self) -> Iterator[Client]:
        return iter(self.clients)


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """One internet plan as the plan list gives it (no price)."""

    plan_id: int
    name: str
    type: str  # "PPPoE" | "Simple Queue" | "PCQ", or the upstream text when unknown


@dataclass(frozen=True, slots=True)
class PlanDetail:
    """One internet plan with its price and speeds (None when WispHub has no detail, e.g. PCQ)."""

    plan_id: int
    name: str
    type: str
    price: float | None
    download_speed: str | None  # kept as WispHub writes it: "700M", "10"
    upload_speed: str | None
    description: str | None
