"""The tenant's initial tickets: a deterministic history relative to the sandbox's today.

Open tickets (Nuevo, En Progreso) per zone, in zone order: the first zone whose router is NOT
in `falla_general` is the known outage with OUTAGE_OPEN recent open tickets; the other zones get
OTHER_OPEN in turn (recent ones inside the hidden 30-day window, old ones 35-55 days back, seen
only with an explicit `fecha_creacion_0/_1`), so no other zone reaches 3 in any 2-month window.
Closed and resolved tickets are spread over the last 90 days.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from wisphub_api.sandbox.catalog import Infrastructure
from wisphub_api.sandbox.clock import at
from wisphub_api.sandbox.dataset import ClientRecord, Dataset
from wisphub_api.sandbox.directory import StaffMember
from wisphub_api.sandbox.ticket_data import DEFAULT_DEPARTMENT, SLA_HOURS, SUBJECTS, Ticket

FIRST_TICKET_ID = 31001
FIRST_ANSWER_ID = 90001
OUTAGE_OPEN = 4
OTHER_OPEN = ((1, 1), (1, 0), (0, 0), (2, 0))  # (recent, old) open tickets per other zone
CLOSED_PER_CLIENT = 1 / 12
HISTORY_DAYS = 89  # closed tickets start 4+ days back, so none closes in the future
ORIGINS = ("WhatsApp", "Llamada", "Oficina", "Portal Cliente")
FAULT_REASONS = (
    "Antena desalineada",
    "Conector RJ45 dañado",
    "Router del cliente reiniciado",
    "Cable UTP en mal estado",
    "Falla eléctrica en el sector",
    "Configuración de la ONU",
)
DESCRIPTIONS = (
    "El cliente reporta que no tiene servicio desde ayer. Llamar al {contact}.",
    "Velocidad muy baja en las noches, el cliente pide revisión. Contacto {contact}.",
    "Se cae la conexión varias veces al día. Titular con documento {document}.",
    "Solicita visita técnica, dejar razón al {contact}.",
    "Cliente indica luces rojas en la antena. Documento {document}, celular {contact}.",
)
ANSWERS = ("Se programa visita técnica.", "Se reinicia el equipo remotamente.", "Caso cerrado.")


def _contact(rng: random.Random, record: ClientRecord) -> tuple[str, str]:
    phone = record.row["telefono"].split(",")[0].replace("+57", "")
    digits = "".join(char for char in phone if char.isdigit())
    phone = digits or f"3{rng.randint(100_000_000, 999_999_999)}"
    return phone, record.row["cedula"] or phone


class _Writer:
    """Draw tickets one by one from the tickets' own RNG stream."""

    def __init__(self, seed: int, today: date, staff: Sequence[StaffMember]) -> None:
        self.rng = random.Random(f"{seed}:tickets")
        self.today, self.staff = today, staff
        self.tickets: list[Ticket] = []
        self.answer_id = FIRST_ANSWER_ID

    def _answers(self, count: int, ticket: Ticket) -> None:
        for index in range(count):
            moment = ticket.created + timedelta(hours=2 + 3 * index)
            author = self.rng.choice(self.staff).username
            text = ANSWERS[min(index, len(ANSWERS) - 1)]
            answer = {"id": self.answer_id, "respuesta": text, "fecha": moment.isoformat()}
            ticket.respuestas.append({**answer, "usuario": author})
            self.answer_id += 1

    def add(self, record: ClientRecord, days_back: int, estado: int) -> None:
        rng = self.rng
        subject = "Sin Internet" if estado in (1, 2) and rng.random() < 0.6 else None
        subject = subject or rng.choice(list(SUBJECTS))
        contact, document = _contact(rng, record)
        created = at(self.today - timedelta(days=days_back), rng.randint(7, 18), rng.randint(0, 59))
        closing = created + timedelta(hours=rng.randint(2, 72))
        ticket = Ticket(
            id=0,
            service_id=record.row["id_servicio"],
            asunto=f"{subject} - {record.row['zona']['nombre']}",
            asunto_default=subject,
            descripcion=rng.choice(DESCRIPTIONS).format(contact=contact, document=document),
            estado=estado,
            prioridad=SUBJECTS[subject],
            tecnico_id=record.row["tecnico"]["id"],
            departamento="Facturación" if subject == "Facturación" else DEFAULT_DEPARTMENT,
            origen=rng.choice(ORIGINS),
            created=created,
            start=created,
            end=created + timedelta(hours=SLA_HOURS[SUBJECTS[subject]]),
            creado_por=rng.choice(self.staff).username,
        )
        if not ticket.is_open:
            ticket.end, ticket.razon_falla = closing, rng.choice(FAULT_REASONS)
        self._answers(rng.randint(1, 2) if not ticket.is_open else rng.randint(0, 1), ticket)
        self.tickets.append(ticket)


def _zones(dataset: Dataset, infra: Infrastructure) -> list[list[ClientRecord]]:
    members: dict[int, list[ClientRecord]] = {zone["id"]: [] for zone in infra.zones}
    for record in dataset.records:
        members[record.row["zona"]["id"]].append(record)
    return [members[zone["id"]] for zone in infra.zones]


def outage_zone(infra: Infrastructure) -> int:
    """Return the index of the zone that has a known outage by open tickets."""
    healthy = [i for i, router in enumerate(infra.routers) if not router["falla_general"]]
    return healthy[0] if healthy else 0


def _open_plan(infra: Infrastructure) -> list[tuple[int, int]]:
    outage, others = outage_zone(infra), iter(OTHER_OPEN * len(infra.zones))
    return [(OUTAGE_OPEN, 0) if i == outage else next(others) for i in range(len(infra.zones))]


def _open_tickets(
    writer: _Writer, zones: list[list[ClientRecord]], plan: list[tuple[int, int]]
) -> None:
    for members, (recent, old) in zip(zones, plan, strict=True):
        if not members:
            continue
        chosen = writer.rng.sample(members, min(len(members), recent + old))
        for index, record in enumerate(chosen):
            is_recent = index < recent
            days_back = writer.rng.randint(1, 6) if is_recent else writer.rng.randint(35, 55)
            writer.add(record, days_back, writer.rng.choice((1, 1, 2)))


def seed_tickets(
    seed: int, today: date, dataset: Dataset, staff: Sequence[StaffMember]
) -> list[Ticket]:
    """Draw the initial tickets, numbered from FIRST_TICKET_ID in creation order."""
    writer = _Writer(seed, today, staff)
    _open_tickets(writer, _zones(dataset, dataset.infra), _open_plan(dataset.infra))
    if dataset.records:
        closed = max(12, round(len(dataset.records) * CLOSED_PER_CLIENT))
        for _ in range(closed):
            record = writer.rng.choice(dataset.records)
            estado = 4 if writer.rng.random() < 0.8 else 3
            writer.add(record, writer.rng.randint(4, HISTORY_DAYS), estado)
    tickets = sorted(writer.tickets, key=lambda ticket: ticket.created)
    for number, ticket in enumerate(tickets, start=FIRST_TICKET_ID):
        ticket.id = number
    return tickets
