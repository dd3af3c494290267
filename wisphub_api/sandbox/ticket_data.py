"""Tickets: the tenant's vocabulary (states, priorities, subjects) and the row WispHub answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from wisphub_api.sandbox.clock import iso
from wisphub_api.sandbox.dataset import ClientRecord
from wisphub_api.sandbox.directory import StaffMember

# Numeric in filters and in a create body, text in every answer.
ESTADOS = {1: "Nuevo", 2: "En Progreso", 3: "Resuelto", 4: "Cerrado"}
OPEN_ESTADOS = frozenset({1, 2})
PRIORIDADES = {1: "Baja", 2: "Normal", 3: "Alta", 4: "Muy Alta"}
# The tenant's `asuntos_default` choices (a create with any other value is a 400), each with
# the priority its staff usually gives it.
SUBJECTS = {
    "Sin Internet": 3,
    "Internet Lento": 2,
    "Intermitencia": 2,
    "Cambio de Contraseña WiFi": 1,
    "Cambio de Plan": 1,
    "Traslado de Servicio": 2,
    "Revisión de Equipos": 2,
    "Instalación": 2,
    "Facturación": 1,
    "Otro Asunto": 1,
}
DEPARTMENTS = ("Soporte Técnico", "Facturación", "Ventas", "Instalaciones")
DEFAULT_DEPARTMENT = DEPARTMENTS[0]
# Hours to the ticket's `vencimiento` by priority.
SLA_HOURS = {1: 72, 2: 48, 3: 24, 4: 8}


@dataclass(slots=True)
class Ticket:
    """One ticket as stored; `ticket_row` turns it into what the API answers."""

    id: int
    service_id: int
    asunto: str
    asunto_default: str
    descripcion: str
    estado: int
    prioridad: int
    tecnico_id: int
    departamento: str
    origen: str
    created: datetime
    start: datetime
    end: datetime | None
    creado_por: str
    razon_falla: str = ""
    respuestas: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """Say whether the ticket is Nuevo or En Progreso."""
        return self.estado in OPEN_ESTADOS

    @property
    def due(self) -> datetime:
        """Return the `vencimiento`: creation plus the priority's SLA."""
        return self.created + timedelta(hours=SLA_HOURS[self.prioridad])


def service_summary(record: ClientRecord | None) -> dict[str, Any] | None:
    """Return the nested `servicio` of a ticket row, from the service's current row."""
    if record is None:
        return None
    row = record.row
    keys = ("id_servicio", "usuario", "nombre", "ip", "zona", "plan_internet", "router")
    return {key: row[key] for key in (*keys, "sectorial")}


def ticket_row(
    ticket: Ticket,
    record: ClientRecord | None,
    technician: StaffMember | None,
    counts: tuple[int, int],
) -> dict[str, Any]:
    """Build the `/api/tickets/` row: estado and prioridad as text, dates ISO with offset."""
    return {
        "id_ticket": ticket.id,
        "asunto": ticket.asunto,
        "descripcion": ticket.descripcion,
        "razon_falla": ticket.razon_falla,
        "estado": ESTADOS[ticket.estado],
        "prioridad": PRIORIDADES[ticket.prioridad],
        "tecnico": technician.nombre if technician else "",
        "email_tecnico": technician.email if technician else "",
        "departamento": ticket.departamento,
        "origen_reporte": ticket.origen,
        "fecha_creacion": iso(ticket.created),
        "fecha_inicio": iso(ticket.start),
        "fecha_fin": iso(ticket.end),
        "creado_por": ticket.creado_por,
        "tickets_mensual": counts[0],
        "tickets_anual": counts[1],
        "respuestas": [dict(answer) for answer in ticket.respuestas],
        "archivo_ticket": None,
        "vencimiento": iso(ticket.due),
        "servicio": service_summary(record),
    }


def subject_choices() -> list[str]:
    """Return the `asuntos_default` choices in the tenant's order."""
    return list(SUBJECTS)


def options_metadata() -> dict[str, Any]:
    """Return DRF's OPTIONS metadata for the ticket list, with the create choices."""

    def choices(values: Mapping[Any, str] | list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
        if isinstance(values, Mapping):
            return [{"value": key, "display_name": name} for key, name in values.items()]
        return [{"value": value, "display_name": value} for value in values]

    return {
        "name": "Ticket List",
        "renders": ["application/json"],
        "parses": ["application/json", "multipart/form-data"],
        "actions": {
            "POST": {
                "asuntos_default": {
                    "type": "choice",
                    "required": True,
                    "choices": choices(subject_choices()),
                },
                "departamentos_default": {"type": "choice", "choices": choices(DEPARTMENTS)},
                "estado": {"type": "choice", "choices": choices(ESTADOS)},
                "prioridad": {"type": "choice", "choices": choices(PRIORIDADES)},
            }
        },
    }
