"""Client rows with WispHub's list field set, types and formats."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from wisphub_api.sandbox.catalog import PPPOE, QUEUE, Infrastructure, Plan, money
from wisphub_api.sandbox.names import ANTENNAS
from wisphub_api.sandbox.people import Person

# A fixed "today" keeps the dataset a pure function of the seed.
REFERENCE_DAY = date(2026, 5, 15)
ESTADOS = ("Activo", "Suspendido", "Cancelado", "Gratis")
ESTADO_WEIGHTS = (76, 10, 11, 3)
FACTURAS = ("Pagadas", "Pendiente de Pago", "Vencidas")
FACTURA_WEIGHTS = (58, 30, 12)
CUT_DAYS = (1, 5, 8, 10, 15, 20, 25, 28)


def wisphub_datetime(moment: datetime) -> str:
    """Format a timestamp as WispHub lists do: "30/04/2026 11:07:00"."""
    return moment.strftime("%d/%m/%Y %H:%M:%S")


def _moment(rng: random.Random, days_back: int) -> datetime:
    day = REFERENCE_DAY - timedelta(days=days_back)
    return datetime(
        day.year, day.month, day.day, rng.randint(6, 19), rng.randint(0, 59), rng.randint(0, 59)
    )


def _fecha_corte(rng: random.Random) -> str:
    # Day not zero-padded, month zero-padded: "5/06/2026".
    day = rng.choice(CUT_DAYS)
    month = REFERENCE_DAY.month + (1 if day <= REFERENCE_DAY.day else 0)
    return f"{day}/{month:02d}/{REFERENCE_DAY.year}"


def _saldo(rng: random.Random, facturas: str, due: int) -> str:
    if facturas == "Vencidas":
        return money(2 * due)
    if facturas == "Pendiente de Pago":
        return money(due)
    # Overpayment leaves a credit, which WispHub shows as a negative balance.
    return money(-rng.choice((5000, 10000, 20000))) if rng.random() < 0.04 else money(0)


def _billing(rng: random.Random, plan: Plan) -> dict[str, Any]:
    estado = rng.choices(ESTADOS, weights=ESTADO_WEIGHTS)[0]
    facturas = "Pagadas" if estado == "Gratis" else rng.choices(FACTURAS, FACTURA_WEIGHTS)[0]
    discount = 0 if rng.random() < 0.9 else rng.choice((5000, 10000))
    installed_days = rng.randint(30, 3000)
    installed = _moment(rng, installed_days)
    changed = _moment(rng, rng.randint(0, installed_days))
    return {
        "estado": estado,
        "estado_facturas": facturas,
        "saldo": _saldo(rng, facturas, plan.price - discount),
        "precio_plan": money(plan.price),
        "descuento": money(discount),
        "costo_instalacion": rng.choice(("", "0.00", "50000.00", "80000.00", "120000.00")),
        "forma_contratacion": "-------------",
        "fecha_instalacion": wisphub_datetime(installed),
        "fecha_corte": _fecha_corte(rng),
        "fecha_cancelacion": None,
        "ultimo_cambio": wisphub_datetime(changed),
    }


def _mac(rng: random.Random) -> str:
    return ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6))


def _cliente_rb(plan: Plan, person: Person, service_id: int) -> str:
    if plan.tipo == PPPOE:
        return (person.usuario or f"cliente{service_id}").split("@")[0]
    return f"Q-{service_id}" if plan.tipo == QUEUE else ""


def _network(rng: random.Random, service_id: int, plan: Plan, person: Person) -> dict[str, Any]:
    return {
        "ip": f"172.16.{10 + service_id // 250}.{2 + service_id % 250}",
        "ip_local": None,
        "mac_cpe": _mac(rng) if rng.random() < 0.5 else "",
        "sn_onu": f"ZTEG{rng.randint(0, 0xFFFFFFFF):08X}" if rng.random() < 0.2 else "",
        "modelo_antena": rng.choice(ANTENNAS) if rng.random() < 0.6 else None,
        "ip_router_wifi": None,
        "ssid_router_wifi": "",
        "password_ssid_router_wifi": "",
        "usuario_cpe": "",
        "password_cpe": "",
        "interfaz_lan": rng.choices(("VLAN_INTERNET", "ether1", ""), weights=(4, 3, 3))[0],
        "servicio": "",
        "password_servicio": "",
        "server_hotspot": "",
        "cliente_rb": _cliente_rb(plan, person, service_id),
    }


def _relations(rng: random.Random, plan: Plan, infra: Infrastructure) -> dict[str, Any]:
    zone = rng.randrange(len(infra.zones))
    sectorial = rng.choice(infra.sectorials[zone]) if rng.random() < 0.55 else None
    return {
        "plan_internet": {"id": plan.id, "nombre": plan.nombre},
        "zona": dict(infra.zones[zone]),
        "router": dict(infra.routers[zone]),
        "sectorial": dict(sectorial) if sectorial else None,
        "tecnico": dict(rng.choice(infra.technicians)),
    }


def _coordinates(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return ""
    return f"{2.44 + rng.uniform(-0.2, 0.2):.6f},{-76.61 + rng.uniform(-0.2, 0.2):.6f}"


def _identity(rng: random.Random, service_id: int, person: Person) -> dict[str, Any]:
    return {
        "id_servicio": service_id,
        "usuario": person.usuario,
        "nombre": full_name(person.given, person.surnames),
        "email": person.email,
        "email_cc": "",
        "razon_social": "",
        "tipo_persona": "Fisica/Natural",
        "cedula": person.cedula,
        "rfc": "",
        "telefono": person.telefono,
        "direccion": person.direccion,
        "localidad": person.localidad,
        "ciudad": person.ciudad,
        "coordenadas": _coordinates(rng),
        "comentarios": "",
        "informacion_adicional": None if rng.random() < 0.5 else "",
    }


def _flags(rng: random.Random) -> dict[str, bool]:
    return {
        "notificacion_sms": rng.random() < 0.7,
        "aviso_pantalla": rng.random() < 0.05,
        "notificaciones_push": False,
        "auto_activar_servicio": False,
        "firewall": False,
    }


def full_name(given: str, surnames: str) -> str:
    """Join the profile's nombre and apellidos into the list's single `nombre`."""
    return " ".join(part for part in (given.strip(), surnames.strip()) if part)


def make_row(
    rng: random.Random, service_id: int, person: Person, plan: Plan, infra: Infrastructure
) -> dict[str, Any]:
    """Build one `/api/clientes/` row (about 50 fields, in a stable order)."""
    row = _identity(rng, service_id, person)
    row.update(_billing(rng, plan))
    row.update(_network(rng, service_id, plan, person))
    row.update(_relations(rng, plan, infra))
    row.update(_flags(rng))
    return row
