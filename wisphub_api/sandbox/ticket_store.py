"""The tickets of one sandbox run: the seeded history plus those created, and the list filter."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from wisphub_api.sandbox.clock import add_months
from wisphub_api.sandbox.ticket_data import ESTADOS, Ticket
from wisphub_api.sandbox.ticket_seed import FIRST_TICKET_ID
from wisphub_api.sandbox.windows import WindowError, inside, last, read_window

DEFAULT_WINDOW_DAYS = 30  # the hidden window of a list without fecha_creacion_0/_1
MAX_WINDOW_MONTHS = 2
WINDOW_KEYS = ("fecha_creacion_0", "fecha_creacion_1")
NO_MATCH = 0  # an estado that is not a known code filters everything out, without an error


def _estado_code(text: str | None) -> int | None:
    if text is None:
        return None
    code = text.strip()
    return int(code) if code.isdigit() and int(code) in ESTADOS else NO_MATCH


def ticket_filter(args: MultiDict[str, str], today: date) -> Callable[[Ticket], bool]:
    """Build the list's filter: numeric estado and the creation window (WindowError on 400)."""
    window = read_window(args, WINDOW_KEYS, today, DEFAULT_WINDOW_DAYS)
    if window is None:
        window = (today - timedelta(days=DEFAULT_WINDOW_DAYS), today)
    elif window[1] > add_months(window[0], MAX_WINDOW_MONTHS):
        raise WindowError("El rango de fechas no puede ser mayor a 2 meses.")
    wanted = _estado_code(last(args, "estado"))
    # servicio, cliente, prioridad, tecnico, departamento...: silently ignored, as upstream.

    def matches(ticket: Ticket) -> bool:
        if wanted is not None and ticket.estado != wanted:
            return False
        return inside(ticket.created.date(), window)

    return matches


class TicketStore:
    """Hold tickets in id order; a created ticket shows in every later read."""

    def __init__(self, tickets: list[Ticket]) -> None:
        self._lock = threading.Lock()
        self.tickets = list(tickets)
        self.by_id = {ticket.id: ticket for ticket in self.tickets}
        self.next_id = max(self.by_id, default=FIRST_TICKET_ID - 1) + 1
        self._monthly: Counter[tuple[int, int, int]] = Counter()
        self._yearly: Counter[tuple[int, int]] = Counter()
        for ticket in self.tickets:
            self._count(ticket)

    def _count(self, ticket: Ticket) -> None:
        created = ticket.created
        self._monthly[ticket.service_id, created.year, created.month] += 1
        self._yearly[ticket.service_id, created.year] += 1

    def counts(self, ticket: Ticket) -> tuple[int, int]:
        """Return the service's tickets in the ticket's month and year (tickets_mensual/anual)."""
        created = ticket.created
        monthly = self._monthly[ticket.service_id, created.year, created.month]
        return monthly, self._yearly[ticket.service_id, created.year]

    def select(self, args: MultiDict[str, str], today: date) -> list[Ticket]:
        """Return the tickets the list's query selects, in id order."""
        matches = ticket_filter(args, today)
        return [ticket for ticket in self.tickets if matches(ticket)]

    def add(self, ticket: Ticket) -> Ticket:
        """Number and keep a new ticket."""
        with self._lock:
            ticket.id, self.next_id = self.next_id, self.next_id + 1
            self.tickets.append(ticket)
            self.by_id[ticket.id] = ticket
            self._count(ticket)
        return ticket
