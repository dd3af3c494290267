"""Validate a `POST /api/tickets/` body (JSON or form) into a new Ticket, as WispHub does."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from wisphub_api.sandbox.clock import TENANT_TZ
from wisphub_api.sandbox.dataset import Dataset
from wisphub_api.sandbox.directory import ADMIN_USERNAME
from wisphub_api.sandbox.ticket_data import (
    DEFAULT_DEPARTMENT,
    DEPARTMENTS,
    ESTADOS,
    PRIORIDADES,
    SLA_HOURS,
    SUBJECTS,
    Ticket,
    subject_choices,
)

TICKET_DATETIME = "%d/%m/%Y %H:%M"  # fecha_inicio / fecha_final of a create
API_ORIGIN = "API"
MAX_TEXT = 5000


class TicketInputError(ValueError):
    """A create body WispHub refuses with 400; `extra` joins the {"error"} body."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


def _integer(body: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = body.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is not int:
        raise TicketInputError(f"{key}: se requiere un número entero válido.")
    return value


def _choice(body: Mapping[str, Any], key: str, default: int, choices: Collection[int]) -> int:
    value = _integer(body, key, default)
    if value not in choices:
        raise TicketInputError(f"{key}: escoja una opción válida ({min(choices)}-{max(choices)}).")
    return value


def _text(body: Mapping[str, Any], key: str, required: bool = False) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise TicketInputError(f"{key}: se requiere un texto de hasta {MAX_TEXT} caracteres.")
    if required and not value.strip():
        raise TicketInputError(f"{key}: este campo es requerido.")
    return value.strip()


def _moment(body: Mapping[str, Any], key: str, default: datetime) -> datetime:
    value = body.get(key)
    if value in (None, ""):
        return default
    try:
        parsed = datetime.strptime(str(value).strip(), TICKET_DATETIME)
    except ValueError:
        raise TicketInputError(f"{key}: use el formato dd/mm/AAAA HH:MM.") from None
    return parsed.replace(tzinfo=TENANT_TZ)


def _subject(body: Mapping[str, Any]) -> str:
    subject = body.get("asuntos_default")
    if not isinstance(subject, str) or subject not in SUBJECTS:
        raise TicketInputError(
            "asuntos_default: escoja una opción válida.", asuntos_default=subject_choices()
        )
    return subject


def _department(body: Mapping[str, Any]) -> str:
    default = body.get("departamentos_default")
    if default not in (None, "") and default not in DEPARTMENTS:
        raise TicketInputError(
            "departamentos_default: escoja una opción válida.", departamentos_default=DEPARTMENTS
        )
    return _text(body, "departamento") or str(default or DEFAULT_DEPARTMENT)


def parse_ticket(
    body: Mapping[str, Any], dataset: Dataset, staff_ids: Collection[int], now: datetime
) -> Ticket:
    """Check the fields and return the ticket to create (numbered by the store)."""
    service_id = _integer(body, "servicio")
    record = dataset.by_id.get(service_id)
    if record is None:
        raise TicketInputError("servicio: el servicio no existe.")
    subject = _subject(body)
    technician = _integer(body, "tecnico", record.row["tecnico"]["id"])
    if technician not in staff_ids:
        raise TicketInputError("tecnico: el técnico no existe.")
    prioridad = _choice(body, "prioridad", 2, PRIORIDADES)
    start = _moment(body, "fecha_inicio", now)
    return Ticket(
        id=0,
        service_id=service_id,
        asunto=_text(body, "asunto", required=True),
        asunto_default=subject,
        descripcion=_text(body, "descripcion"),
        estado=_choice(body, "estado", 1, ESTADOS),
        prioridad=prioridad,
        tecnico_id=technician,
        departamento=_department(body),
        origen=API_ORIGIN,
        created=now,
        start=start,
        end=_moment(body, "fecha_final", start + timedelta(hours=SLA_HOURS[prioridad])),
        creado_por=ADMIN_USERNAME,
    )
