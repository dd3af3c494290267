"""Tickets as WispHub Net writes them, read into an English model with an allow-list of fields.

A ticket row carries the description (free text full of documents and phone numbers), the
subscriber's name, username and IP: none of that is kept. What stays is what a support
conversation answers: ids, subject, status, priority, dates, technician and the last answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import UpstreamBadResponse

# WispHub's estado: text in rows, numeric in filters and in a create body.
STATUS_WORDS = {
    "nuevo": "new",
    "en progreso": "in_progress",
    "resuelto": "resolved",
    "cerrado": "closed",
}
STATUS_CODES = {"new": 1, "in_progress": 2, "resolved": 3, "closed": 4}
OPEN_STATUSES = ("new", "in_progress")
CLOSED_STATUSES = ("resolved", "closed")
PRIORITY_WORDS = {"baja": "low", "normal": "normal", "alta": "high", "muy alta": "very_high"}
PRIORITY_CODES = {"low": 1, "normal": 2, "high": 3, "very_high": 4}
# A state or priority this service does not know (a tenant's own wording) is answered as such.
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Ticket:
    """One WispHub ticket, without its description or the subscriber's personal data."""

    ticket_id: int
    service_id: int
    zone_id: int | None  # the service's zone when WispHub listed the ticket
    subject: str
    status: str  # new | in_progress | resolved | closed | unknown
    priority: str  # low | normal | high | very_high | unknown
    created_at: datetime | None
    expected_end: datetime | None
    technician: str | None  # the technician's name
    last_answer: str | None  # the text of the newest answer
    last_answer_at: datetime | None

    @property
    def is_open(self) -> bool:
        """Say whether the ticket is new or in progress."""
        return self.status in OPEN_STATUSES

    def to_public(self) -> dict[str, Any]:
        """Return the contract's Ticket: the one serialiser of that shape."""
        answer = None
        if self.last_answer is not None:
            answer = {"text": self.last_answer, "at": _iso(self.last_answer_at)}
        return {
            "ticket_id": self.ticket_id,
            "service_id": self.service_id,
            "subject": self.subject,
            "status": self.status,
            "priority": self.priority,
            "created_at": _iso(self.created_at),
            "expected_end": _iso(self.expected_end),
            "technician": self.technician,
            "last_answer": answer,
        }


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """What opening a ticket sends: the description travels upstream only, never elsewhere."""

    service_id: int
    subject: str
    description: str
    priority: str  # low | normal | high | very_high
    technician_id: int | None = None

    def __repr__(self) -> str:  # never print the description (tracebacks, debuggers, logs)
        return f"TicketDraft(service_id={self.service_id}, subject={self.subject!r})"


def ticket_payload(draft: TicketDraft) -> dict[str, Any]:
    """Return the JSON body of ``POST /api/tickets/`` for a draft (a new ticket, state Nuevo)."""
    payload: dict[str, Any] = {
        "servicio": draft.service_id,
        "asunto": draft.subject,
        "asuntos_default": draft.subject,  # must be one of the tenant's subject choices
        "descripcion": draft.description,
        "estado": STATUS_CODES["new"],
        "prioridad": PRIORITY_CODES[draft.priority],
    }
    if draft.technician_id is not None:
        payload["tecnico"] = draft.technician_id
    return payload


def ticket_from_row(row: Any) -> Ticket:
    """Build a Ticket from one ``/api/tickets/`` row; raise UpstreamBadResponse if unusable."""
    if not isinstance(row, Mapping):
        raise UpstreamBadResponse("WispHub Net sent a ticket that is not an object")
    ticket_id = _int(row.get("id_ticket"))
    service = row.get("servicio")
    service_id = _int(service.get("id_servicio")) if isinstance(service, Mapping) else None
    if ticket_id is None or service_id is None:
        raise UpstreamBadResponse("WispHub Net sent a ticket without id_ticket or servicio")
    zone = service.get("zona") if isinstance(service, Mapping) else None
    text, at = _last_answer(row.get("respuestas"))
    return Ticket(
        ticket_id=ticket_id,
        service_id=service_id,
        zone_id=_int(zone.get("id")) if isinstance(zone, Mapping) else None,
        subject=_text(row.get("asunto")) or "",
        status=_word(row.get("estado"), STATUS_WORDS),
        priority=_word(row.get("prioridad"), PRIORITY_WORDS),
        created_at=parse_moment(row.get("fecha_creacion")),
        expected_end=parse_moment(row.get("fecha_fin")) or parse_moment(row.get("vencimiento")),
        technician=_text(row.get("tecnico")),
        last_answer=text,
        last_answer_at=at,
    )


def _last_answer(answers: Any) -> tuple[str | None, datetime | None]:
    """Return the text and date of the newest answer (the last of the list)."""
    if not isinstance(answers, list):
        return None, None
    for answer in reversed(answers):
        if isinstance(answer, Mapping) and _text(answer.get("respuesta")):
            return _text(answer.get("respuesta")), parse_moment(answer.get("fecha"))
    return None, None


def parse_moment(value: Any) -> datetime | None:
    """Return an ISO 8601 timestamp (with its offset) as a datetime; None when not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _word(value: Any, words: Mapping[str, str]) -> str:
    text = " ".join(value.split()).casefold() if isinstance(value, str) else ""
    return words.get(text, UNKNOWN)


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
