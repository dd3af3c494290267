"""Known outages: a zone with many open tickets, or a router WispHub marks in general failure.

A zone has a known outage when it holds at least ``MAX_OPEN_TICKETS_PER_ZONE`` open tickets
(the listing of ``services.tickets``, with the tickets opened since), or when a router serving
clients of the zone has ``falla_general`` set. A client is in a known outage when its zone is
(by tickets) or when its own router is marked. Both are answered from cached data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from wisphub_api.services.catalogue import SupportCatalogue
from wisphub_api.services.errors import KnownOutage, ZoneNotFound
from wisphub_api.services.snapshots import CacheState
from wisphub_api.services.tickets import TicketBook, combine_states
from wisphub_api.translatable import N_
from wisphub_api.upstream.models import Client

OPEN_TICKETS = "open_tickets"
ROUTER_FAILURE = "router_failure"
# Why the outage is known, as the 409 of POST /tickets says it ({count}: the zone's open tickets).
WHY = {
    OPEN_TICKETS: N_("its zone already has {count} open tickets"),
    ROUTER_FAILURE: N_("WispHub Net marks the router serving it with a general failure"),
}


@dataclass(frozen=True, slots=True)
class Outage:
    """Whether a zone (or a client's part of it) has a known outage, and why."""

    zone_id: int | None
    known: bool
    open_tickets: int
    max_open_tickets: int
    reason: str | None  # open_tickets | router_failure

    def to_public(self) -> dict[str, Any]:
        """Return the answer of ``GET /zones/<zone_id>/outage``."""
        return {
            "zone_id": self.zone_id,
            "known_outage": self.known,
            "open_tickets": self.open_tickets,
            "max_open_tickets": self.max_open_tickets,
            "reason": self.reason,
        }

    def refusal(self) -> KnownOutage:
        """Return the error that refuses a ticket because of this outage."""
        reason = self.reason or OPEN_TICKETS
        return KnownOutage(WHY[reason], reason, count=self.open_tickets)


class OutageService:
    """Tell whether a zone or a client is in a known outage."""

    def __init__(self, tickets: TicketBook, catalogue: SupportCatalogue, *, max_open: int) -> None:
        self.tickets = tickets
        self.catalogue = catalogue
        self.max_open = max_open

    def _open_by_zone(self) -> tuple[Counter[int | None], CacheState]:
        tickets, state = self.tickets.open_tickets()
        return Counter(ticket.zone_id for ticket in tickets), state

    def zone(self, zone_id: int) -> tuple[Outage, CacheState]:
        """Return the outage state of a zone (ZoneNotFound when WispHub has no such zone)."""
        zones, zones_state = self.catalogue.zones()
        if zone_id not in zones:
            raise ZoneNotFound()
        counts, tickets_state = self._open_by_zone()
        failing, routers_state = self.catalogue.failing_router_zones()
        reason = None
        if counts[zone_id] >= self.max_open:
            reason = OPEN_TICKETS
        elif any(zone_id in served for served in failing.values()):
            reason = ROUTER_FAILURE
        outage = Outage(zone_id, reason is not None, counts[zone_id], self.max_open, reason)
        return outage, combine_states(zones_state, tickets_state, routers_state)

    def of_client(self, client: Client) -> Outage:
        """Return the outage state of a client: its zone's open tickets, its router's flag."""
        counts, _ = self._open_by_zone()
        count = counts[client.zone_id] if client.zone_id is not None else 0
        reason = OPEN_TICKETS if client.zone_id is not None and count >= self.max_open else None
        if reason is None and client.router_id is not None:
            routers, _ = self.catalogue.routers()
            router = routers.get(client.router_id)
            if router is not None and router.general_failure:
                reason = ROUTER_FAILURE
        return Outage(client.zone_id, reason is not None, count, self.max_open, reason)
