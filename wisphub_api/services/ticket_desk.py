"""Open a ticket the way a support conversation should: once, and never for a known outage.

In order: the subject must be a configured one (its priority goes with it); the client must
exist; a technician, when named, must be on WispHub's staff; an open ticket of the same client
with the same subject is answered instead of a new one; a known outage of the client's zone or
router refuses the ticket (409). Only then is the ticket sent to WispHub, once, never retried;
the shared store is checked first, since a ticket the other workers could not see is refused
before it exists. A create that may have reached WispHub without an answer drops the open
listing, so that the next read asks WispHub whether it was created.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from wisphub_api.services.catalogue import SupportCatalogue
from wisphub_api.services.directory import ClientDirectory
from wisphub_api.services.errors import TechnicianNotFound, UnknownSubject, WritesUnavailable
from wisphub_api.services.outage import OutageService
from wisphub_api.services.subjects import SubjectCatalogue
from wisphub_api.services.tickets import TicketBook
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.state.guard import Guarded
from wisphub_api.upstream.client import WispHubClient
from wisphub_api.upstream.errors import UpstreamError
from wisphub_api.upstream.tickets import Ticket, TicketDraft


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class TicketDesk:
    """Open tickets: no duplicates, no ticket for a known outage, each sent at most once."""

    def __init__(
        self,
        upstream: WispHubClient,
        directory: ClientDirectory,
        tickets: TicketBook,
        outages: OutageService,
        catalogue: SupportCatalogue,
        subjects: SubjectCatalogue,
        state: Guarded,
    ) -> None:
        self.upstream = upstream
        self.directory = directory
        self.tickets = tickets
        self.outages = outages
        self.catalogue = catalogue
        self.subjects = subjects
        self.state = state

    def open(self, fields: Mapping[str, Any]) -> tuple[Ticket, bool]:
        """Open a ticket from ``{service_id, subject, description, technician_id?}``.

        Returns the ticket and whether it was created now (False: the client's open ticket of
        the same subject). Raises UnknownSubject, ClientNotFound, TechnicianNotFound,
        KnownOutage, WritesUnavailable or an upstream error.
        """
        found = self.subjects.find(fields["subject"])
        if found is None:
            raise UnknownSubject()
        subject, priority = found
        client, _ = self.directory.by_service_id(fields["service_id"])
        technician = fields.get("technician_id")
        if technician is not None and technician not in self.catalogue.staff()[0]:
            raise TechnicianNotFound()
        duplicate = self._open_ticket_of(client.service_id, subject)
        if duplicate is not None:
            return duplicate, False
        outage = self.outages.of_client(client)
        if outage.known:
            raise outage.refusal()
        try:
            self.state.ping()  # a ticket every worker cannot see is refused before it exists
        except SharedStateUnavailable as exc:
            raise WritesUnavailable(exc.retry_after) from None
        draft = TicketDraft(client.service_id, subject, fields["description"], priority, technician)
        try:
            ticket = self.upstream.create_ticket(draft)
        except UpstreamError as exc:
            if exc.sent:
                self.tickets.forget_open()
            raise
        if ticket.zone_id is None and client.zone_id is not None:
            ticket = dataclasses.replace(ticket, zone_id=client.zone_id)
        self.tickets.record_created(ticket)
        return ticket, True

    def _open_ticket_of(self, service_id: int, subject: str) -> Ticket | None:
        """Return the client's open ticket with this subject (the newest), or None."""
        tickets, _ = self.tickets.open_tickets()
        wanted = _fold(subject)
        same = [t for t in tickets if t.service_id == service_id and _fold(t.subject) == wanted]
        return max(same, key=lambda t: t.ticket_id) if same else None
