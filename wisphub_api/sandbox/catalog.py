"""Catalogues of the synthetic tenant: internet plans, zones, routers, sectorials, technicians."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from wisphub_api.sandbox.names import PLAN_SPEEDS, PLAN_WORDS, ROUTER_FAULT, ZONES

PPPOE, QUEUE, PCQ = "PPPoE", "Simple Queue", "PCQ"
# The first plan is the one client 7 (the load tests' verification target) subscribes to.
ANCHOR_PLAN_PRICE = 40000
ANCHOR_PLAN_SPEED = 10


@dataclass(frozen=True, slots=True)
class Plan:
    """One internet plan with the fields of its list item and of its detail."""

    id: int
    nombre: str
    tipo: str
    price: int
    bajada: str
    subida: str
    descripcion: str
    perfil: str

    def list_item(self) -> dict[str, Any]:
        """Return the `/api/plan-internet/` item: no price, as upstream."""
        return {"id": self.id, "nombre": self.nombre, "tipo": self.tipo}

    def detail(self) -> dict[str, Any]:
        """Return the `pppoe/{id}/` or `queue/{id}/` body."""
        body: dict[str, Any] = {
            "nombre": self.nombre,
            "precio": money(self.price),
            "bajada": self.bajada,
            "subida": self.subida,
            "descripcion": self.descripcion,
        }
        if self.tipo == PPPOE:
            body["perfil"] = self.perfil
        return body


@dataclass(frozen=True, slots=True)
class Infrastructure:
    """Zones with their routers and sectorials, and the technicians."""

    zones: tuple[dict[str, Any], ...]
    routers: tuple[dict[str, Any], ...]  # routers[i] serves zones[i]
    sectorials: tuple[tuple[dict[str, Any], ...], ...]  # sectorials[i] hang from routers[i]
    technicians: tuple[dict[str, Any], ...]


def money(amount: float) -> str:
    """Format an amount the way WispHub does: a decimal string with two places."""
    return f"{amount:.2f}"


def _unique_ids(rng: random.Random, start: int, count: int, max_step: int) -> list[int]:
    ids, current = [], start
    for _ in range(count):
        ids.append(current)
        current += rng.randint(1, max_step)
    return ids


def _plan_types(rng: random.Random, count: int) -> list[str]:
    # Every type is present whenever there are at least three plans; PCQ stays the rarest.
    base = [PPPOE, QUEUE, PCQ][:count]
    rest = rng.choices([PPPOE, QUEUE, PCQ], weights=[5, 5, 2], k=max(0, count - 3))
    mixed = base[1:] + rest
    rng.shuffle(mixed)
    return base[:1] + mixed


def _plan_price(rng: random.Random, speed: int) -> int:
    raw = 25000 + speed * 700 * rng.uniform(0.8, 1.2)
    price = min(199900, max(30000, round(raw / 1000) * 1000 - rng.choice((0, 100))))
    # Keep the anchor price unique so that "the plan priced 40000" names one plan.
    return price + 900 if price == ANCHOR_PLAN_PRICE else price


def _plan(rng: random.Random, plan_id: int, tipo: str, speed: int, taken: set[str]) -> Plan:
    name = f"{rng.choice(PLAN_WORDS)} {speed}MB"
    suffix = 2
    while name in taken:
        name, suffix = f"{name.rsplit(' V', 1)[0]} V{suffix}", suffix + 1
    taken.add(name)
    up = max(1, speed // rng.choice((1, 2, 4)))
    down = f"{speed}M" if rng.random() < 0.9 else str(speed)
    description = rng.choice(("", f"Plan de {speed} megas", f"Internet {speed} Mbps"))
    return Plan(
        plan_id,
        name,
        tipo,
        _plan_price(rng, speed),
        down,
        f"{up}M",
        description,
        f"perfil-{speed}M",
    )


def build_plans(rng: random.Random, count: int) -> list[Plan]:
    """Build `count` plans: the first a PPPoE "PLAN 10MB" at 40000, the rest mixed."""
    count = max(1, count)
    ids = _unique_ids(rng, 439219, count, 3000)
    types = _plan_types(rng, count)
    anchor = Plan(
        ids[0],
        "PLAN 10MB",
        PPPOE,
        ANCHOR_PLAN_PRICE,
        "10M",
        "5M",
        "Plan residencial 10 megas",
        "perfil-10M",
    )
    taken = {anchor.nombre}
    speeds = [rng.choice(PLAN_SPEEDS) for _ in range(count - 1)]
    others = [_plan(rng, ids[i + 1], types[i + 1], speed, taken) for i, speed in enumerate(speeds)]
    return [anchor, *others]


def _router(rng: random.Random, router_id: int, zone: str, broken: bool) -> dict[str, Any]:
    return {
        "id": router_id,
        "nombre": f"RB-{zone}",
        "falla_general": broken,
        "falla_general_descripcion": ROUTER_FAULT if broken else "",
    }


def _sectorial(sectorial_id: int, zone: str, index: int) -> dict[str, Any]:
    return {
        "id": sectorial_id,
        "nombre": f"SECT-{zone}-{index}",
        "falla_general": False,
        "falla_general_descripcion": "",
    }


def build_infrastructure(rng: random.Random) -> Infrastructure:
    """Build the five zones, one router per zone (one of them in general failure) and staff."""
    zone_ids = _unique_ids(rng, 63850, len(ZONES), 40)
    router_ids = _unique_ids(rng, 63679, len(ZONES), 40)
    broken = rng.randrange(len(ZONES))
    zones = tuple({"id": zid, "nombre": name} for zid, name in zip(zone_ids, ZONES, strict=True))
    routers = tuple(
        _router(rng, rid, name, i == broken)
        for i, (rid, name) in enumerate(zip(router_ids, ZONES, strict=True))
    )
    sect_ids = iter(_unique_ids(rng, 20410, 2 * len(ZONES), 15))
    sectorials = tuple(tuple(_sectorial(next(sect_ids), name, k) for k in (1, 2)) for name in ZONES)
    technicians = tuple({"id": tid, "nombre": ""} for tid in _unique_ids(rng, 6030718, 4, 900))
    return Infrastructure(zones, routers, sectorials, technicians)
