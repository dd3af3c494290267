"""The sandbox's tenant: a deterministic function of (seed, clients, plans), mutable by PUT."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from wisphub_api.sandbox.catalog import (
    Infrastructure,
    Plan,
    build_infrastructure,
    build_plans,
    money,
)
from wisphub_api.sandbox.names import fold
from wisphub_api.sandbox.people import Person, Registry, make_person
from wisphub_api.sandbox.rows import full_name, make_row

PROFILE_FIELDS = (
    "nombre",
    "apellidos",
    "cedula",
    "direccion",
    "localidad",
    "ciudad",
    "telefono",
    "saldo",
)
DETAIL_DROPPED = ("estado_facturas", "saldo", "fecha_corte")
HOUSEHOLD_RATE = 0.012  # about a dozen families sharing surnames and address per 1000 clients


@dataclass(slots=True)
class ClientRecord:
    """One service: its list row plus the profile's split name and folded search keys."""

    row: dict[str, Any]
    given: str
    surnames: str
    folded_name: str = ""
    folded_surnames: str = ""

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute the list `nombre` and the folded keys after a name change."""
        self.row["nombre"] = full_name(self.given, self.surnames)
        self.folded_name = fold(self.row["nombre"])
        self.folded_surnames = fold(self.surnames)


def _people(rng: random.Random, count: int) -> list[Person]:
    registry, people = Registry(), list[Person]()
    for service_id in range(1, count + 1):
        household = None
        if people and rng.random() < HOUSEHOLD_RATE:
            household = rng.choice(people[-30:])
        people.append(make_person(rng, service_id, registry, household))
    return people


def _records(
    rng: random.Random, people: list[Person], plans: list[Plan], infra: Infrastructure
) -> list[ClientRecord]:
    records = []
    for service_id, person in enumerate(people, start=1):
        plan = plans[0] if service_id == 7 else rng.choice(plans)
        row = make_row(rng, service_id, person, plan, infra)
        records.append(ClientRecord(row, person.given, person.surnames))
    return records


class Dataset:
    """Plans and clients of one tenant, with the lookups the views need."""

    def __init__(
        self, plans: list[Plan], infra: Infrastructure, records: list[ClientRecord]
    ) -> None:
        self.plans = plans
        self.plans_by_id = {plan.id: plan for plan in plans}
        self.infra = infra
        self.records = records
        self.by_id = {record.row["id_servicio"]: record for record in records}
        # The seed's saldo per service: invoices derive from it, not from later perfil PUTs.
        self.opening_saldo = {sid: record.row["saldo"] for sid, record in self.by_id.items()}
        self.by_usuario = {r.row["usuario"]: r for r in records if r.row["usuario"] is not None}
        self.dirty = False  # True once a PUT changed something the seed did not produce

    @classmethod
    def build(cls, seed: int, clients: int, plans: int) -> Dataset:
        """Generate the tenant for `seed`: same arguments, byte-identical data."""
        rng = random.Random(seed)
        infra = build_infrastructure(rng)
        plan_list = build_plans(rng, plans)
        people = _people(rng, max(0, clients))
        return cls(plan_list, infra, _records(rng, people, plan_list, infra))

    def detail(self, service_id: int) -> dict[str, Any] | None:
        """Return the detail body: list fields minus billing state, plus facturas_pagadas."""
        record = self.by_id.get(service_id)
        if record is None:
            return None
        body = {k: v for k, v in record.row.items() if k not in DETAIL_DROPPED}
        body["usuario"] = None  # upstream's detail answers null here, unlike the list
        body["facturas_pagadas"] = record.row["estado_facturas"] == "Pagadas"
        return body

    def profile(self, service_id: int) -> dict[str, Any] | None:
        """Return the perfil body, nombre and apellidos split."""
        record = self.by_id.get(service_id)
        if record is None:
            return None
        row = record.row
        body = {"nombre": record.given, "apellidos": record.surnames}
        body.update({key: row[key] for key in PROFILE_FIELDS[2:]})
        return body

    def update_profile(self, service_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply validated perfil changes so later reads (list included) show them."""
        record = self.by_id.get(service_id)
        if record is None:
            return None
        self.dirty = True
        record.given = changes.get("nombre", record.given)
        record.surnames = changes.get("apellidos", record.surnames)
        for key in PROFILE_FIELDS[2:7]:
            if key in changes:
                record.row[key] = changes[key]
        if "saldo" in changes:
            record.row["saldo"] = money(float(changes["saldo"]))
        record.refresh()
        return self.profile(service_id)

    def reactivate(self, service_id: int) -> bool:
        """Turn a suspended service Activo (a payment promise or payment); say if it changed."""
        record = self.by_id.get(service_id)
        if record is None or record.row["estado"] != "Suspendido":
            return False
        self.dirty = True
        record.row["estado"] = "Activo"
        return True

    def set_billing_state(self, service_id: int, saldo: str, estado_facturas: str) -> None:
        """Record what a registered payment changed: the saldo string and estado_facturas."""
        record = self.by_id[service_id]
        self.dirty = True
        record.row["saldo"], record.row["estado_facturas"] = saldo, estado_facturas
